package com.rendertrust.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A coalescing task never runs twice at once, collapses the requests that arrive while it runs
 * into one more run, and never leaves a request without a run that started after it.
 */
class CoalescingTaskTest {

  private final ExecutorService executor = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  /** A task whose runs block until released, counting runs and the most at once. */
  private static final class GatedTask implements Runnable {
    final Semaphore gate = new Semaphore(0);
    final Semaphore started = new Semaphore(0);
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    @Override
    public void run() {
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      runs.incrementAndGet();
      started.release();
      try {
        gate.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        running.decrementAndGet();
      }
    }
  }

  @Test
  void requestsWhileTheOnlyRunnerIsBusyCollapseIntoOneMoreRun() throws Exception {
    GatedTask task = new GatedTask();
    CoalescingTask coalescing = new CoalescingTask("test", executor, task);

    coalescing.request();
    assertThat(task.started.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 50; i++) {
      coalescing.request();
    }
    task.gate.release(); // the first run ends: one more run serves the 50 requests
    assertThat(task.started.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
    task.gate.release();
    assertThat(task.started.tryAcquire(300, TimeUnit.MILLISECONDS)).isFalse();
    assertThat(task.runs).hasValue(2);
    assertThat(task.mostAtOnce).hasValue(1);
  }

  @Test
  void everyRequestIsFollowedByARunThatStartedAfterIt() throws Exception {
    AtomicInteger requested = new AtomicInteger();
    AtomicInteger seenByLastRun = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    CoalescingTask coalescing = new CoalescingTask("test", executor, () -> {
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      seenByLastRun.accumulateAndGet(requested.get(), Math::max);
      Thread.onSpinWait();
      running.decrementAndGet();
    });
    int threads = 4;
    int perThread = 20_000;
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          requested.incrementAndGet();
          coalescing.request();
        }
        done.countDown();
      }).start();
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (seenByLastRun.get() < threads * perThread && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(seenByLastRun).hasValue(threads * perThread);
    assertThat(mostAtOnce).hasValue(1);
  }
}
