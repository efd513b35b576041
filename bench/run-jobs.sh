#!/usr/bin/env bash
# Full job lifecycles (submit -> dispatch -> running -> completed -> settled) through the real
# control plane, N simulated nodes on real gRPC streams and M creators on the public API, next to
# pgbench simple-update on the same embedded PostgreSQL, and next to two ceilings: PostgreSQL alone
# running one priced lifecycle's SQL (bench/sql/lifecycle.sql) per pgbench transaction, and issue
# 19's batched design (bench/sql/lifecycle-batched.sql, --batch lifecycles per statement) (see
# bench/src/main/java/com/rendertrust/bench/JobsBenchmark.java). Options are passed through:
#   bench/run-jobs.sh [--nodes 8] [--slots 32] [--clients 32] [--seconds 20] [--warmup 60] [--rate 500]
#                     [--latency-seconds 20] [--pool 32] [--price 0.01] [--durable] [--upload] [--ceiling-only]
#                     [--batch 16]
# --ceiling-only: just the ceilings (migrations, fixture, pgbench, ledger checks; no server, no warm-up),
#   with --clients and --seconds, e.g. bench/run-jobs.sh --ceiling-only --clients 32 --seconds 20
# Exits 1 if a job is lost (not COMPLETED and captured) or the ledger invariants break.
# Last line (issue 19): lifecycles_per_s=N pgbench_simple_update_tps=M ratio=N/M submit_to_node_p99_ms=P at_rate=R lost=L invariants=ok|broken
# RT_BENCH_JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=/tmp/jobs.jfr to profile.
# RT_BENCH_PG_LOG=/some/directory writes PostgreSQL's log files there, with every lock wait longer than 1 s, every deadlock, autovacuum and checkpoint.
# RT_BENCH_PG_LOCK_WAIT_MS=20 (with RT_BENCH_PG_LOG) logs every lock wait longer than 20 ms instead (it is deadlock_timeout).
# RT_BENCH_PG_EXPLAIN_MS=2 (with RT_BENCH_PG_LOG) also logs every statement slower than 2 ms with its plan and actual times, nested ones included (auto_explain).
# Needs pgbench (Debian: apt-get install postgresql-client) or RT_BENCH_PGBENCH=/path/to/pgbench.
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.JobsBenchmark "$@"
