#!/usr/bin/env bash
# The frames run (issue 13): one render job of 1,000 frames with frames_per_task 1 through the real
# control plane on embedded PostgreSQL, run by simulated nodes that upload and report every frame.
# Reports the submission's latency, the time from submission until the last task is dispatched and
# tasks/s, checks every frame delivered, the hold captured once and the ledger invariants, and
# ends with a verdict line (see bench/src/main/java/com/rendertrust/bench/FramesBenchmark.java):
#   bench/run-frames.sh [--nodes 8] [--slots 4] [--frames 1000] [--pool 32]
# Exits 1 if a frame is lost, the job is not charged exactly once, or the ledger invariants break.
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.FramesBenchmark "$@"
