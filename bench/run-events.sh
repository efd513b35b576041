#!/usr/bin/env bash
# Live job events: event commit -> watcher latency with many concurrent WatchJob streams on one
# replica while events flow (see bench/src/main/java/com/rendertrust/bench/EventsBenchmark.java),
# next to a same-run baseline of one watcher per job. Options are passed through:
#   bench/run-events.sh [--watchers 1000] [--jobs 100] [--rate 200] [--seconds 20] [--warmup 5]
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.EventsBenchmark "$@"
