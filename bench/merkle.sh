#!/usr/bin/env bash
# Merkle tree benchmark (bench/README.md, "Merkle trees"): builds what it needs, then runs
#   bench/merkle.sh [sizes...]      default sizes: 1000 10000 100000 1000000
# Numbers depend on the machine; the baseline in the same run is what makes them comparable.
export RT_BENCH_JAVA_OPTS="-Xms2g -Xmx2g -XX:+UseParallelGC ${RT_BENCH_JAVA_OPTS:-}"
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.MerkleBench "$@"
