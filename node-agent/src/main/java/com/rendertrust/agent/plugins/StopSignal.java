package com.rendertrust.agent.plugins;

import java.util.Optional;

/**
 * The "stop this job" flag shared by the executor (cancel, time limit, shutdown) and the plugin.
 * Requesting a stop also interrupts the thread running the job, so blocking waits end at once.
 * The first reason wins: a job cancelled while past its time limit stays cancelled.
 */
public final class StopSignal {

  private StopReason reason;
  private Thread runner;

  /** Binds the thread running the job; a stop requested before this still takes effect. */
  public synchronized void bind(Thread thread) {
    runner = thread;
    if (reason != null) {
      thread.interrupt();
    }
  }

  /** Unbinds the thread; later requests no longer interrupt it (it may run another job by then). */
  public synchronized void unbind() {
    runner = null;
  }

  public synchronized boolean request(StopReason stopReason) {
    if (reason != null) {
      return false;
    }
    reason = stopReason;
    if (runner != null) {
      runner.interrupt();
    }
    return true;
  }

  public synchronized Optional<StopReason> reason() {
    return Optional.ofNullable(reason);
  }
}
