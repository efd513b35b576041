# syntax=docker/dockerfile:1
# The node agent. Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t rendertrust/agent .
# The image registers the node on first start (RT_AGENT_SERVER, RT_AGENT_NAME,
# RT_AGENT_CAPABILITIES, RT_AGENT_OPERATOR_TOKEN) and keeps its identity in RT_AGENT_HOME, which
# must be a volume that outlives the container (the key is the node's identity).

FROM eclipse-temurin:25-jdk AS build
RUN useradd --create-home --uid 10001 build
USER build
WORKDIR /home/build/src
COPY --chown=build:build . .
RUN ./mvnw -B -DskipTests -pl node-agent -am package \
 && mkdir -p /home/build/app \
 && cp node-agent/target/rendertrust-node-agent-*-standalone.jar /home/build/app/rendertrust-node-agent.jar \
 && cp deploy/docker/agent-entrypoint.sh /home/build/app/agent-entrypoint.sh

FROM eclipse-temurin:25-jre
RUN useradd --no-create-home --uid 10001 --home-dir /var/lib/rendertrust-agent rendertrust \
 && mkdir -p /var/lib/rendertrust-agent && chown rendertrust /var/lib/rendertrust-agent
COPY --from=build /home/build/app /app
USER 10001
ENV RT_AGENT_HOME=/var/lib/rendertrust-agent \
    RT_AGENT_HEALTH_BIND=0.0.0.0 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8081
ENTRYPOINT ["/app/agent-entrypoint.sh"]
