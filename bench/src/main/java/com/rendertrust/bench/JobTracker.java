package com.rendertrust.bench;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the simulated nodes saw, keyed by job id, in the benchmark's one JVM (one clock for the
 * clients' send times and the nodes' receive times). A node may receive a job before its
 * submitter has the DispatchJob answer naming it, so either side may create an entry first.
 */
final class JobTracker {

  private final Map<String, Long> dispatchedAtNanos = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> completions = new ConcurrentHashMap<>();
  private final AtomicLong completedByNodes = new AtomicLong();
  private final AtomicLong redispatches = new AtomicLong();

  /** A node received the job's dispatch now. */
  void dispatched(String jobId, long nanos) {
    if (dispatchedAtNanos.putIfAbsent(jobId, nanos) != null) {
      redispatches.incrementAndGet(); // a requeue or a second delivery: the first arrival counts
    }
  }

  /** A node sent the job's COMPLETED result. */
  void completed(String jobId) {
    completedByNodes.incrementAndGet();
    completion(jobId).complete(null);
  }

  /** Completes once a node has sent the job's result; the waiter removes it with {@link #forget}. */
  CompletableFuture<Void> completion(String jobId) {
    return completions.computeIfAbsent(jobId, id -> new CompletableFuture<>());
  }

  void forget(String jobId) {
    completions.remove(jobId);
  }

  /** When a node first received the job (System.nanoTime), or null if none did yet. */
  Long dispatchedAt(String jobId) {
    return dispatchedAtNanos.get(jobId);
  }

  long completedByNodes() {
    return completedByNodes.get();
  }

  long redispatches() {
    return redispatches.get();
  }
}
