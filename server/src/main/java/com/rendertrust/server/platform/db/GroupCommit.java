package com.rendertrust.server.platform.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: callers hand in one item each and wait; the items that arrive while a batch is
 * being written make the next batch, which one caller writes for all of them (in one
 * transaction, by {@code writer}). Nothing waits on a timer: a lone item is a batch of one,
 * written at once, and under load the batches grow by themselves to what arrived during one
 * write. One batch is written at a time, so batches never contend with each other for locks.
 *
 * @param <T> an item (one caller's request)
 * @param <R> its answer
 */
public final class GroupCommit<T, R> {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  private record Waiting<T, R>(T item, CompletableFuture<Optional<R>> answer) {
  }

  private final String name;
  private final int maxBatch;
  /**
   * Writes a batch and answers each item, at the item's index (null: not taken, the caller goes
   * its own way). Throwing fails the whole batch: every item of it is answered empty.
   */
  private final Function<List<T>, List<R>> writer;
  private final ConcurrentLinkedQueue<Waiting<T, R>> waiting = new ConcurrentLinkedQueue<>();
  /** Held by the one caller writing; the others wait here with their items queued for the next batch. */
  private final ReentrantLock writing = new ReentrantLock();
  private final LongAdder batches = new LongAdder();
  private final LongAdder items = new LongAdder();
  private final LongAdder writeNanos = new LongAdder();

  public GroupCommit(String name, int maxBatch, Function<List<T>, List<R>> writer) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("a batch holds at least one item");
    }
    this.name = name;
    this.maxBatch = maxBatch;
    this.writer = writer;
  }

  /** Writes {@code item} with the next batch; its answer once that batch committed, empty if it was not taken. */
  public Optional<R> submit(T item) {
    Waiting<T, R> mine = new Waiting<>(item, new CompletableFuture<>());
    waiting.add(mine);
    writing.lock();
    try {
      // whoever holds the lock writes everything queued so far; this item is among it
      while (!mine.answer().isDone()) {
        writeNext();
      }
    } finally {
      writing.unlock();
    }
    return mine.answer().join();
  }

  /** Batches written and the items they took, since start: their ratio is the mean batch size. */
  public Written written() {
    return new Written(items.sum(), batches.sum(), writeNanos.sum());
  }

  /**
   * Items taken by committed batches, those batches, and the time spent writing them (committed
   * or not: the writer is busy either way, and the next batch waits for it).
   */
  public record Written(long items, long batches, long writeNanos) {

    /** What was written since {@code earlier}, a reading of the same group commit. */
    public Written since(Written earlier) {
      return new Written(items - earlier.items, batches - earlier.batches, writeNanos - earlier.writeNanos);
    }

    /** The writer's busy time per committed batch, in milliseconds (0 without batches). */
    public double millisPerBatch() {
      return batches == 0 ? 0 : writeNanos / 1e6 / batches;
    }
  }

  private void writeNext() {
    List<Waiting<T, R>> batch = new ArrayList<>();
    for (Waiting<T, R> next; batch.size() < maxBatch && (next = waiting.poll()) != null; ) {
      batch.add(next);
    }
    List<R> answers = null;
    long started = System.nanoTime();
    try {
      answers = writer.apply(batch.stream().map(Waiting::item).toList());
      if (answers.size() != batch.size()) {
        throw new IllegalStateException(name + " answered " + answers.size() + " of " + batch.size() + " items");
      }
      batches.increment();
      items.add(answers.stream().filter(answer -> answer != null).count());
    } catch (RuntimeException e) {
      log.warn("a batch of {} {} failed; each goes its own way", batch.size(), name, e);
      answers = null;
    } finally {
      writeNanos.add(System.nanoTime() - started);
      // every item taken is answered, even when the writer threw an Error: no caller waits forever
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).answer().complete(answers == null ? Optional.empty() : Optional.ofNullable(answers.get(i)));
      }
    }
  }
}
