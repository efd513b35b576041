package com.rendertrust.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * Every process a test class started, so that all of them are stopped at the end, on failure,
 * and even when the test JVM itself is told to stop (Ctrl-C of the build).
 */
final class Processes implements AutoCloseable {

  private final List<ManagedProcess> started = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::killAll, "e2e-process-cleanup");

  Processes() {
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  synchronized ManagedProcess track(ManagedProcess process) {
    started.add(process);
    return process;
  }

  synchronized List<ManagedProcess> all() {
    return List.copyOf(started);
  }

  /** The tail of every log, newest process last: what a failure report shows. */
  String tails(int lines) {
    StringBuilder text = new StringBuilder();
    for (ManagedProcess process : all()) {
      text.append("\n----- ").append(process.name()).append(" (pid ").append(process.pid())
          .append(process.isAlive() ? ", running" : ", ended").append("), ").append(process.log()).append('\n')
          .append(process.tail(lines)).append('\n');
    }
    return text.toString();
  }

  private void killAll() {
    for (ManagedProcess process : all()) {
      try {
        process.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Agents first (they would only reconnect), then the server, each with time to stop cleanly. */
  @Override
  public void close() throws InterruptedException {
    List<ManagedProcess> reversed = new ArrayList<>(all());
    java.util.Collections.reverse(reversed);
    for (ManagedProcess process : reversed) {
      process.stop(java.time.Duration.ofSeconds(30));
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down and the hook runs anyway
    }
  }
}
