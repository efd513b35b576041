package com.rendertrust.server.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The table reads of watches (the replay when a watch starts, a gap filled, a slow watch
 * resynced), admitted so that a burst of watch starts never exhausts the connection pool:
 * <ul>
 *   <li>A job read is queued. At most {@link #READERS} readers run, each taking up to
 *       {@link #MAX_BATCH} queued reads at a time and answering them with one statement
 *       ({@link JobEventLog#forJobs}); identical reads (same job, same seq) are made once and
 *       share their rows. 1,000 watches starting at once cost a handful of statements and at
 *       most {@code READERS} connections, instead of 1,000 connections wanted within the pool's
 *       timeout.</li>
 *   <li>A user read (the replay of WatchJobs) takes one of the same {@code READERS} permits.</li>
 *   <li>At most {@link #MAX_QUEUED} reads wait; beyond that a read fails with
 *       {@link Overloaded} (the watch ends with UNAVAILABLE, to be resumed).</li>
 * </ul>
 * Callers block until their rows are in: they run on the watches' virtual threads.
 */
final class ReplayReader {

  static final int READERS = 2;
  static final int MAX_BATCH = 256;
  static final int MAX_QUEUED = 20_000;
  /** Rows per job per read; a watch reads again after a full page. */
  static final int PAGE = 500;
  /** Tries of a batch read before its watches fail (each may wait the pool's timeout). */
  static final int READ_ATTEMPTS = 5;

  /** Too many reads waiting: the watch ends (UNAVAILABLE) and its client resumes. */
  static final class Overloaded extends RuntimeException {
    Overloaded() {
      super("too many watches are starting at once; resume with after_seq");
    }
  }

  private record Key(UUID jobId, int afterSeq) {
  }

  private final JobEventLog log;
  private final Executor executor;
  private final Semaphore permits = new Semaphore(READERS, true);
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<Key, CompletableFuture<List<OutgoingEvent>>> waiting = new LinkedHashMap<>();
  private int readers;
  private long statements;
  private long requests;

  ReplayReader(JobEventLog log, Executor executor) {
    this.log = log;
    this.executor = executor;
  }

  /** The job's stored events with seq > {@code afterSeq}, in seq order, at most {@link #PAGE}. */
  List<OutgoingEvent> forJob(UUID jobId, long afterSeq) {
    Key key = new Key(jobId, (int) Math.min(afterSeq, Integer.MAX_VALUE));
    CompletableFuture<List<OutgoingEvent>> rows;
    boolean startReader;
    lock.lock();
    try {
      requests++;
      rows = waiting.get(key);
      if (rows == null) {
        if (waiting.size() >= MAX_QUEUED) {
          throw new Overloaded();
        }
        rows = new CompletableFuture<>();
        waiting.put(key, rows);
      }
      startReader = readers < READERS;
      if (startReader) {
        readers++;
      }
    } finally {
      lock.unlock();
    }
    if (startReader) {
      try {
        executor.execute(this::readBatches);
      } catch (RuntimeException rejected) { // shutting down
        lock.lock();
        try {
          readers--;
          waiting.remove(key, rows);
        } finally {
          lock.unlock();
        }
        throw rejected;
      }
    }
    try {
      return rows.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** The user's stored events with id > {@code afterId}, in id order, at most {@link #PAGE}. */
  List<OutgoingEvent> forUser(UUID userId, long afterId) {
    permits.acquireUninterruptibly();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return OutgoingEvent.of(log.forUser(userId, afterId, PAGE));
        } catch (RuntimeException e) {
          if (attempt >= READ_ATTEMPTS) {
            throw e;
          }
          LockSupport.parkNanos(Duration.ofMillis(100L * attempt).toNanos());
        }
      }
    } finally {
      permits.release();
    }
  }

  /** Job reads asked for so far. */
  long requests() {
    lock.lock();
    try {
      return requests;
    } finally {
      lock.unlock();
    }
  }

  /** The gate's permits: a test holding them all sees reads queue up behind it. */
  Semaphore permits() {
    return permits;
  }

  /** Batches (statements) the job reads took so far. */
  long statements() {
    lock.lock();
    try {
      return statements;
    } finally {
      lock.unlock();
    }
  }

  private void readBatches() {
    while (true) {
      Map<Key, CompletableFuture<List<OutgoingEvent>>> batch = new LinkedHashMap<>();
      lock.lock();
      try {
        if (waiting.isEmpty()) {
          readers--;
          return;
        }
        Iterator<Map.Entry<Key, CompletableFuture<List<OutgoingEvent>>>> queued = waiting.entrySet().iterator();
        while (queued.hasNext() && batch.size() < MAX_BATCH) {
          Map.Entry<Key, CompletableFuture<List<OutgoingEvent>>> next = queued.next();
          batch.put(next.getKey(), next.getValue());
          queued.remove();
        }
        statements++;
      } finally {
        lock.unlock();
      }
      read(batch);
    }
  }

  private void read(Map<Key, CompletableFuture<List<OutgoingEvent>>> batch) {
    List<Key> keys = new ArrayList<>(batch.keySet());
    permits.acquireUninterruptibly();
    try {
      List<UUID> jobs = keys.stream().map(Key::jobId).toList();
      List<Integer> after = keys.stream().map(Key::afterSeq).toList();
      List<List<StoredEvent>> rows = readWithRetries(jobs, after);
      for (int i = 0; i < keys.size(); i++) {
        batch.get(keys.get(i)).complete(OutgoingEvent.of(rows.get(i)));
      }
    } catch (RuntimeException e) {
      batch.values().forEach(rows -> rows.completeExceptionally(e));
    } finally {
      permits.release();
    }
  }

  /**
   * The batch read, tried again after a failure: the pool may be crowded by other requests for
   * longer than its timeout (a burst of watch starts reads each job first, outside this gate),
   * and a read is safe to repeat. A start fails only if every try does.
   */
  private List<List<StoredEvent>> readWithRetries(List<UUID> jobs, List<Integer> after) {
    for (int attempt = 1; ; attempt++) {
      try {
        return log.forJobs(jobs, after, PAGE);
      } catch (RuntimeException e) {
        if (attempt >= READ_ATTEMPTS) {
          throw e;
        }
        LockSupport.parkNanos(Duration.ofMillis(100L * attempt).toNanos());
      }
    }
  }
}
