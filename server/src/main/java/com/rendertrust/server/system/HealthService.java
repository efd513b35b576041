package com.rendertrust.server.system;

import com.rendertrust.server.platform.errors.DomainException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Liveness and readiness. Readiness really talks to each dependency (in parallel, each bounded
 * by a timeout) so a probe never reports "ready" from a cached belief.
 */
public final class HealthService {

  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

  private final Map<String, BooleanSupplier> checks;
  private volatile boolean draining;

  public HealthService(Map<String, BooleanSupplier> checks) {
    this.checks = new LinkedHashMap<>(checks);
  }

  /** Liveness: fails only while the process is shutting down, so balancers stop sending traffic. */
  public void requireLive() {
    if (draining) {
      throw DomainException.unavailable("server is shutting down");
    }
  }

  public void startDraining() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  public Readiness readiness() {
    Map<String, Boolean> results = new LinkedHashMap<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      Map<String, Future<Boolean>> running = new LinkedHashMap<>();
      checks.forEach((name, check) -> running.put(name, executor.submit(check::getAsBoolean)));
      long deadline = System.nanoTime() + CHECK_TIMEOUT.toNanos();
      running.forEach((name, future) -> results.put(name, await(future, deadline)));
      executor.shutdownNow();
    }
    return new Readiness(results);
  }

  private static boolean await(Future<Boolean> future, long deadlineNanos) {
    try {
      return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      future.cancel(true);
      return false;
    }
  }
}
