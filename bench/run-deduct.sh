#!/usr/bin/env bash
# Deduct RPC throughput next to pgbench tpcb-like on the same embedded PostgreSQL (see
# bench/src/main/java/com/rendertrust/bench/DeductBenchmark.java). Options are passed through:
#   bench/run-deduct.sh [--clients 8,16,32] [--seconds 20] [--warmup 5] [--scale 1] [--pool 32] [--durable]
# Needs pgbench (Debian: apt-get install postgresql-client) or RT_BENCH_PGBENCH=/path/to/pgbench.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/tools/find-jdk.sh"
rt_find_jdk
./mvnw -B -q -DskipTests -pl bench -am package
classpath="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/runtime-classpath.txt")"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlogback.configurationFile="$ROOT/bench/logback-bench.xml" \
  -cp "$classpath" com.rendertrust.bench.DeductBenchmark "$@"
