#!/usr/bin/env bash
# Builds the bench module and runs one of its main classes with the bench's logging:
#   bench/run-main.sh com.rendertrust.bench.JobsBenchmark [options...]
# RT_BENCH_JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=/tmp/jobs.jfr to profile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/tools/find-jdk.sh"
rt_find_jdk
./mvnw -B -q -DskipTests -pl bench -am package
classpath="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/runtime-classpath.txt")"
main="$1"
shift
# shellcheck disable=SC2086 # RT_BENCH_JAVA_OPTS is a list of options
exec "$JAVA_HOME/bin/java" ${RT_BENCH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlogback.configurationFile="$ROOT/bench/logback-bench.xml" \
  -cp "$classpath" "$main" "$@"
