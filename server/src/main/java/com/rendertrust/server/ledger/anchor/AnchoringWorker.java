package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.platform.db.AdvisoryLock;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link AnchorStateMachine} every poll interval, on one replica at a time: each pass
 * first takes a PostgreSQL advisory lock and skips its turn when another replica holds it.
 */
public final class AnchoringWorker implements AutoCloseable {

  /** The advisory lock key of anchoring ("RTANCHOR" in ASCII); no other job may use it. */
  public static final long LOCK_KEY = 0x5254_414E_4348_4F52L;

  private static final Logger log = LoggerFactory.getLogger(AnchoringWorker.class);

  /** What one pass did. */
  public enum Pass {
    /** Every batch was looked at. */
    COMPLETED,
    /** Another replica holds the lock; nothing done. */
    NOT_LEADER,
    /** The chain did not answer; state unchanged, the next pass retries. */
    CHAIN_UNAVAILABLE,
    /** Something else failed (database, configuration); logged, the next pass retries. */
    FAILED
  }

  private final DataSource dataSource;
  private final AnchorStateMachine machine;
  private final Duration interval;
  private final ScheduledExecutorService scheduler;
  private volatile String lastProblem = "";

  public AnchoringWorker(DataSource dataSource, AnchorStateMachine machine, Duration interval) {
    this.dataSource = dataSource;
    this.machine = machine;
    this.interval = interval;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-anchoring").factory());
  }

  /** Starts passes every interval (fixed delay: a slow pass never overlaps the next). */
  public AnchoringWorker start() {
    scheduler.scheduleWithFixedDelay(this::runPass, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void runPass() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      // Never let an exception cancel the schedule.
      log.error("anchoring pass failed", e);
    }
  }

  /** One pass, now, on the calling thread (what the schedule runs; tests drive it directly). */
  public synchronized Pass runOnce() {
    Optional<AdvisoryLock> lock;
    try {
      lock = AdvisoryLock.tryAcquire(dataSource, LOCK_KEY);
    } catch (SQLException e) {
      return problem(Pass.FAILED, "database unavailable: " + e.getMessage(), null);
    }
    if (lock.isEmpty()) {
      return Pass.NOT_LEADER;
    }
    try (AdvisoryLock held = lock.get()) {
      if (!held.stillHeld()) {
        return problem(Pass.FAILED, "lost the database session holding the anchoring lock", null);
      }
      machine.advanceAll();
      if (!lastProblem.isEmpty()) {
        log.info("anchoring recovered after: {}", lastProblem);
        lastProblem = "";
      }
      return Pass.COMPLETED;
    } catch (ChainUnavailableException e) {
      return problem(Pass.CHAIN_UNAVAILABLE, "chain unavailable: " + e.getMessage(), null);
    } catch (RuntimeException e) {
      return problem(Pass.FAILED, e.getMessage(), e);
    }
  }

  /** Logs a problem once when it starts (not every poll while it lasts). */
  private Pass problem(Pass pass, String message, Throwable cause) {
    String text = String.valueOf(message);
    if (!text.equals(lastProblem)) {
      if (cause != null) {
        log.warn("anchoring pass: {}", text, cause);
      } else {
        log.warn("anchoring pass: {}", text);
      }
      lastProblem = text;
    }
    return pass;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("anchoring pass still running at shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
