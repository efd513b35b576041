package com.rendertrust.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Overload: submissions beyond the gate's places wait briefly, then are refused with 429 and Retry-After. */
class SubmissionGateTest {

  /** Its own threads: the common pool may have a single worker on a 2-core machine. */
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  @Test
  void aSubmissionFindingEveryPlaceTakenIsRefusedAfterTheWaitAndTheNextOneIsAdmitted() throws Exception {
    SubmissionGate gate = new SubmissionGate(1, Duration.ofMillis(200));
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch leave = new CountDownLatch(1);
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> gate.through(() -> {
      inside.countDown();
      await(leave);
      return "first";
    }), threads);
    assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();

    long started = System.nanoTime();
    assertThatThrownBy(() -> gate.through(() -> "second"))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED);
          assertThat(e.metadata()).containsEntry("retry_after_seconds", "1");
        });
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(150), Duration.ofSeconds(3));

    leave.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(gate.<String>through(() -> "third")).isEqualTo("third");
  }

  @Test
  void aFailedSubmissionGivesItsPlaceBack() {
    SubmissionGate gate = new SubmissionGate(1, Duration.ofMillis(50));
    assertThatThrownBy(() -> gate.through(() -> {
      throw new DomainException(Reason.INSUFFICIENT_CREDITS, "short");
    })).isInstanceOf(DomainException.class);
    assertThat(gate.<String>through(() -> "next")).isEqualTo("next");
  }

  @Test
  void halfTheDatabasePoolIsForSubmissions() throws Exception {
    SubmissionGate gate = SubmissionGate.forPool(4);
    CountDownLatch inside = new CountDownLatch(2);
    CountDownLatch leave = new CountDownLatch(1);
    for (int i = 0; i < 2; i++) {
      CompletableFuture.runAsync(() -> gate.through(() -> {
        inside.countDown();
        await(leave);
        return null;
      }), threads);
    }
    assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> gate.through(() -> "third"))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED));
    leave.countDown();
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never let the submission leave");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
