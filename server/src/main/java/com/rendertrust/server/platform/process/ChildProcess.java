package com.rendertrust.server.platform.process;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One embedded process (Redis, anvil) the server starts itself: noted in its pid file while it
 * runs, stopped gracefully (SIGTERM, then SIGKILL), and, when supervised, started again whenever
 * it exits without being told to, as the embedded default's dependencies are the server's own
 * to keep up. The server already works on while one is down (readiness says which); this brings
 * it back without a restart of the server.
 */
public final class ChildProcess {

  private static final Logger log = LoggerFactory.getLogger(ChildProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  /** A process that dies again at once is not restarted in a tight loop. */
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  private final String name;
  private final Supplier<Process> launch;
  private final PidFile pidFile;
  private final boolean supervised;
  private Process process;
  private boolean stopped = true;
  private int restarts;

  /**
   * {@code launch} starts the process and returns once it serves (or throws, having stopped
   * what it started).
   */
  public ChildProcess(String name, Supplier<Process> launch, PidFile pidFile, boolean supervised) {
    this.name = name;
    this.launch = launch;
    this.pidFile = pidFile;
    this.supervised = supervised;
  }

  public synchronized void start() {
    process = launch.get();
    stopped = false;
    pidFile.started(process.toHandle());
    watch(process);
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  public synchronized OptionalLong pid() {
    return isRunning() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
  }

  /** How often supervision started it again. */
  public synchronized int restarts() {
    return restarts;
  }

  /** SIGTERM, then SIGKILL after the grace period; not restarted until {@link #start()}. */
  public synchronized void stop() {
    stopped = true;
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      process = null;
    }
    pidFile.stopped();
  }

  private void watch(Process watched) {
    if (supervised) {
      watched.onExit().thenRunAsync(() -> restartAfterExit(watched),
          CompletableFuture.delayedExecutor(RESTART_DELAY.toMillis(), TimeUnit.MILLISECONDS));
    }
  }

  private synchronized void restartAfterExit(Process exited) {
    if (stopped || process != exited) {
      return; // stopped on purpose, or already started again
    }
    log.warn("embedded {} (pid {}) exited with {}: starting it again", name, exited.pid(), exited.exitValue());
    try {
      process = launch.get();
      restarts++;
      pidFile.started(process.toHandle());
      log.info("embedded {} is back (pid {})", name, process.pid());
      watch(process);
    } catch (RuntimeException e) {
      log.error("could not start embedded {} again; retrying", name, e);
      watch(exited);
    }
  }
}
