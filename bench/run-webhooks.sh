#!/usr/bin/env bash
# Webhook deliveries/s to a local receiver (JDK HttpServer) through the real control plane's
# outbox (lease with FOR UPDATE SKIP LOCKED, signed POST over the SSRF-pinned client, fenced
# outcome written in batches), next to raw HTTP POSTs/s to the same receiver in the same run (new
# connection each, and kept-alive), the load average, and a VERDICT line
# against the goal of 500 deliveries/s (see bench/src/main/java/com/rendertrust/bench/WebhooksBenchmark.java):
#   bench/run-webhooks.sh [--events 20000] [--concurrency 32] [--seconds 15] [--pool 32]
# Exits 1 if the receiver got fewer requests than deliveries.
exec "$(dirname "${BASH_SOURCE[0]}")/run-main.sh" com.rendertrust.bench.WebhooksBenchmark "$@"
