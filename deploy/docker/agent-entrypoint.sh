#!/bin/sh
# Registers the node once (when RT_AGENT_HOME holds no identity yet), then runs the agent in the
# foreground; SIGTERM reaches java (exec) and the agent drains.
set -eu
jar=/app/rendertrust-node-agent.jar
if [ ! -f "${RT_AGENT_HOME}/node.json" ]; then
  java --enable-native-access=ALL-UNNAMED -jar "$jar" register
fi
exec java --enable-native-access=ALL-UNNAMED -jar "$jar" run
