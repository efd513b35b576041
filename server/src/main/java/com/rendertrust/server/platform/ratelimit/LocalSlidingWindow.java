package com.rendertrust.server.platform.ratelimit;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The per-process sliding-window log used while Redis cannot be reached, so limits keep
 * limiting (per replica) instead of failing open. Memory is bounded: idle subjects are dropped.
 */
final class LocalSlidingWindow {

  private static final int SWEEP_THRESHOLD = 10_000;

  private final Map<String, ArrayDeque<Long>> attempts = new ConcurrentHashMap<>();
  private final LongSupplier nowMillis;

  LocalSlidingWindow(LongSupplier nowMillis) {
    this.nowMillis = nowMillis;
  }

  /** Counts one attempt; 0 when allowed, otherwise the milliseconds until one is allowed again. */
  long tryAcquire(String key, int maxAttempts, long windowMillis) {
    long now = nowMillis.getAsLong();
    if (attempts.size() > SWEEP_THRESHOLD) {
      sweep(now, windowMillis);
    }
    ArrayDeque<Long> log = attempts.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (log) {
      while (!log.isEmpty() && log.peekFirst() <= now - windowMillis) {
        log.pollFirst();
      }
      if (log.size() < maxAttempts) {
        log.addLast(now);
        return 0;
      }
      return Math.max(1, log.peekFirst() + windowMillis - now);
    }
  }

  private void sweep(long now, long windowMillis) {
    Iterator<Map.Entry<String, ArrayDeque<Long>>> entries = attempts.entrySet().iterator();
    while (entries.hasNext()) {
      ArrayDeque<Long> log = entries.next().getValue();
      synchronized (log) {
        Long newest = log.peekLast();
        if (newest == null || newest <= now - windowMillis) {
          entries.remove();
        }
      }
    }
  }
}
