package com.rendertrust.server.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The batching itself, without a database: who writes, what each caller gets back, and failures. */
class GroupCommitTest {

  @Test
  void aLoneItemIsABatchOfOneWrittenAtOnceByItsCaller() {
    List<List<Integer>> written = new ArrayList<>();
    GroupCommit<Integer, String> commit = new GroupCommit<>("numbers", 8, batch -> {
      written.add(batch);
      return batch.stream().map(i -> "#" + i).toList();
    });

    assertThat(commit.submit(7)).contains("#7");
    assertThat(commit.submit(8)).contains("#8");
    assertThat(written).containsExactly(List.of(7), List.of(8));
    assertThat(commit.written().items()).isEqualTo(2);
    assertThat(commit.written().batches()).isEqualTo(2);
  }

  @Test
  void itemsArrivingDuringAWriteMakeTheNextBatchUpToItsLimitAndEachCallerGetsItsOwnAnswer() throws Exception {
    CountDownLatch firstWriting = new CountDownLatch(1);
    CountDownLatch letFirstFinish = new CountDownLatch(1);
    List<List<Integer>> written = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Integer, Integer> commit = new GroupCommit<>("numbers", 4, batch -> {
      written.add(batch);
      if (batch.contains(0)) {
        firstWriting.countDown();
        await(letFirstFinish);
      }
      return batch.stream().map(i -> i * 10).toList();
    });
    ExecutorService callers = Executors.newCachedThreadPool();
    try {
      List<Future<Optional<Integer>>> answers = new ArrayList<>();
      answers.add(callers.submit(() -> commit.submit(0)));
      assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 1; i <= 6; i++) {
        int item = i;
        answers.add(callers.submit(() -> commit.submit(item)));
      }
      Thread.sleep(300); // all six queue behind the first batch
      letFirstFinish.countDown();
      for (int i = 0; i <= 6; i++) {
        assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).contains(i * 10);
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(written).hasSize(3);
    assertThat(written.get(0)).containsExactly(0);
    assertThat(written.get(1)).hasSize(4);
    assertThat(written.get(2)).hasSize(2);
    assertThat(written.stream().flatMap(List::stream).sorted().toList()).containsExactly(0, 1, 2, 3, 4, 5, 6);
  }

  @Test
  void theWritersTimeIsCountedPerBatch() {
    GroupCommit<Integer, String> commit = new GroupCommit<>("numbers", 8, batch -> {
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return batch.stream().map(i -> "#" + i).toList();
    });
    GroupCommit.Written before = commit.written();

    commit.submit(1);
    commit.submit(2);

    GroupCommit.Written since = commit.written().since(before);
    assertThat(since.batches()).isEqualTo(2);
    assertThat(since.millisPerBatch()).isBetween(30.0, 10_000.0);
  }

  @Test
  void anItemTheWriterDoesNotTakeOrABatchThatFailsIsAnsweredEmpty() {
    GroupCommit<Integer, String> commit = new GroupCommit<>("numbers", 8, batch -> {
      if (batch.contains(13)) {
        throw new IllegalStateException("injected failure");
      }
      return batch.stream().map(i -> i % 2 == 0 ? "even" : null).toList();
    });

    assertThat(commit.submit(2)).contains("even");
    assertThat(commit.submit(3)).isEmpty();
    assertThat(commit.submit(13)).isEmpty();
    assertThat(commit.written().items()).as("the failed batch is not counted").isEqualTo(1);
    assertThat(commit.written().batches()).as("the failed batch is not counted").isEqualTo(2);
  }

  @Test
  void aWriterThatThrowsAnErrorLeavesNoCallerWaiting() throws Exception {
    GroupCommit<Integer, String> commit = new GroupCommit<>("numbers", 8, batch -> {
      throw new AssertionError("injected error");
    });

    assertThatThrownBy(() -> commit.submit(1)).isInstanceOf(AssertionError.class);
    // the lock was let go and nothing is stuck: the next caller writes (and meets the same error)
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<?> next = caller.submit(() -> commit.submit(2));
      assertThatThrownBy(() -> next.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(AssertionError.class);
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void aBatchHoldsAtLeastOneItem() {
    assertThatThrownBy(() -> new GroupCommit<Integer, Integer>("numbers", 0, batch -> batch))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
