#!/usr/bin/env bash
# Many node Connect streams on one replica (issue 19): the real control plane in this JVM, N nodes
# registered and proven over the public NodeService and streaming from a separate client JVM over a
# few HTTP/2 connections, each heartbeating at the default interval (see
# bench/src/main/java/com/rendertrust/bench/StreamsBenchmark.java). Options are passed through:
#   bench/run-streams.sh [--streams 10000] [--connections 8] [--seconds 90] [--pool 32]
# Last line: streams=N heap_mib=H heartbeat_p99_ms=P dropped=D (goals H <= 1024, P <= 50, D = 0).
# Exits 1 if a stream failed to open or was dropped.
export RT_BENCH_JAVA_OPTS="-Xmx2g ${RT_BENCH_JAVA_OPTS:-}"
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.StreamsBenchmark "$@"
