#!/usr/bin/env bash
# The REST edge against native gRPC (issue 19): CreditService.GetBalance over native gRPC (h2c) and
# over the in-process transcoded REST/JSON path (GET /api/v1/credits/balance, HTTP/1.1 keep-alive)
# on the server's one port, same closed-loop clients, alternating phases in one run (see
# bench/src/main/java/com/rendertrust/bench/EdgeBenchmark.java). Options are passed through:
#   bench/run-edge.sh [--clients 16] [--seconds 10] [--warmup 10] [--rounds 2] [--pool 32]
# Last line: grpc_rps=G rest_rps=R ratio=R/G (goal ratio >= 0.7). Exits 1 if any call failed.
# RT_BENCH_JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=/tmp/edge.jfr to profile.
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.EdgeBenchmark "$@"
