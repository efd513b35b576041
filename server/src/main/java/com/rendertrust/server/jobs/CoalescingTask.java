package com.rendertrust.server.jobs;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task on request, never twice at once, and at least once after every request: requests
 * arriving while it runs collapse into one more run. Used for "something changed, re-check"
 * work that is idempotent, where a burst of triggers should cost one pass, not a hundred.
 */
public final class CoalescingTask {

  private static final Logger log = LoggerFactory.getLogger(CoalescingTask.class);

  private static final int IDLE = 0;
  private static final int RUNNING = 1;
  private static final int RUNNING_AND_REQUESTED = 2;

  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final Executor executor;
  private final Runnable task;
  private final String name;

  public CoalescingTask(String name, Executor executor, Runnable task) {
    this.name = name;
    this.executor = executor;
    this.task = task;
  }

  public void request() {
    int current;
    do {
      current = state.get();
      if (current == RUNNING_AND_REQUESTED) {
        return;
      }
    } while (!state.compareAndSet(current, current + 1));
    if (current == IDLE) {
      try {
        executor.execute(this::runUntilQuiet);
      } catch (RuntimeException rejected) {
        state.set(IDLE); // shutting down
      }
    }
  }

  private void runUntilQuiet() {
    do {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("{} failed; the next trigger retries it", name, e);
      }
    } while (state.decrementAndGet() > IDLE);
  }
}
