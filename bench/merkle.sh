#!/usr/bin/env bash
# Merkle tree benchmark (bench/README.md, "Merkle trees"): builds what it needs, then runs
#   bench/merkle.sh [sizes...]      default sizes: 1000 10000 100000 1000000
# Numbers depend on the machine; the baseline in the same run is what makes them comparable.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/tools/find-jdk.sh"
rt_find_jdk
./mvnw -B -q -DskipTests -pl bench -am package
CP="$ROOT/bench/target/classes:$ROOT/server/target/classes:$(cat "$ROOT/bench/target/runtime-classpath.txt")"
exec "$JAVA_HOME/bin/java" -Xms2g -Xmx2g -XX:+UseParallelGC -cp "$CP" com.rendertrust.bench.MerkleBench "$@"
