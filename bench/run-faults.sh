#!/usr/bin/env bash
# The fault suite as a soak: e2e's FaultSuiteIT (SIGSTOP/SIGCONT and SIGKILL of the dev server, an
# agent, the embedded Redis and anvil; PostgreSQL connections terminated in the middle of bursts;
# the server killed with jobs queued; slowloris) and DevServerCrashIT (a killed server's embedded
# processes, a second server on a data directory in use, a killed embedded Redis), run ROUNDS
# times with heavier faults than `./rendertrust test` runs them. Every round ends each fault with
# the ledger invariants, every job ended and nothing charged twice. Options:
#   bench/run-faults.sh [--rounds 3] [--slowloris 1000] [--bursts 10] [--burst-size 48]
# Exits non-zero as soon as a round fails; the processes' logs are under e2e/target/e2e/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/tools/find-jdk.sh"
rt_find_jdk

rounds=3
slowloris=1000
bursts=10
burst_size=48
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --slowloris) slowloris=$2; shift 2 ;;
    --bursts) bursts=$2; shift 2 ;;
    --burst-size) burst_size=$2; shift 2 ;;
    *) echo "run-faults.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# The first round builds what the tests need (server, agent jar); the next ones reuse it.
for round in $(seq 1 "$rounds"); do
  echo "run-faults.sh: round $round of $rounds (slowloris $slowloris, $bursts bursts of $burst_size)" >&2
  ./mvnw -B -q -pl e2e -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dit.test='FaultSuiteIT,DevServerCrashIT' \
    -De2e.faults.slowloris="$slowloris" -De2e.faults.bursts="$bursts" -De2e.faults.burstSize="$burst_size" \
    verify
done
echo "run-faults.sh: $rounds round(s) passed"
