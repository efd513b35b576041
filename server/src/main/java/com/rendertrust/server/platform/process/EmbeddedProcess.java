package com.rendertrust.server.platform.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One embedded process (Redis, anvil) the server starts itself: noted in its pid file while it
 * runs, stopped gracefully (SIGTERM, then SIGKILL), and, when supervised, started again whenever
 * it exits without being told to, as the embedded default's dependencies are the server's own
 * to keep up. The server already works on while one is down (readiness says which); this brings
 * it back without a restart of the server.
 */
public abstract class EmbeddedProcess implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  /** A process that dies again at once is not restarted in a tight loop. */
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  private final String name;
  private final PidFile pidFile;
  private final Path logFile;
  private final boolean supervised;
  private Process process;
  private boolean stopped = true;
  private int restarts;

  /** {@code name} for logs; its output goes to a temporary log file, whose tail start failures quote. */
  protected EmbeddedProcess(String name, PidFile pidFile, boolean supervised) {
    this.name = name;
    this.pidFile = pidFile;
    this.supervised = supervised;
    try {
      this.logFile = Files.createTempFile("rendertrust-" + pidFile.executableName(), ".log");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a log file for " + name, e);
    }
  }

  /** Starts the process and returns once it serves (or throws, having stopped what it started). */
  protected abstract Process launch();

  /** Runs {@code command} with its output appended to this process's log file. */
  protected final Process run(List<String> command) {
    try {
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + command.get(0), e);
    }
  }

  /** The last lines of the log, for failure messages. */
  protected final String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Starts the process (the subclasses' factories call this); noted in the pid file. */
  public synchronized void startProcess() {
    process = launch();
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

  /** SIGTERM, then SIGKILL after the grace period; not restarted until {@link #startProcess()}. */
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

  /** Stops it, then starts it again (on the same port: subclasses keep theirs). */
  public synchronized void restart() {
    stop();
    startProcess();
  }

  @Override
  public void close() {
    stop();
    try {
      Files.deleteIfExists(logFile);
    } catch (IOException e) {
      log.debug("could not delete {}", logFile, e);
    }
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
      process = launch();
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
