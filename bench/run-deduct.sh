#!/usr/bin/env bash
# Deduct RPC throughput next to pgbench tpcb-like on the same embedded PostgreSQL (see
# bench/src/main/java/com/rendertrust/bench/DeductBenchmark.java). Options are passed through:
#   bench/run-deduct.sh [--clients 8,16,32] [--seconds 20] [--warmup 5] [--scale 1] [--pool 32] [--durable]
# Needs pgbench (Debian: apt-get install postgresql-client) or RT_BENCH_PGBENCH=/path/to/pgbench.
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.DeductBenchmark "$@"
