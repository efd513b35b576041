package com.rendertrust.server.ledger;

import static com.rendertrust.server.db.Tables.ANCHOR_BATCHES;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.LEDGER_ENTRY_BATCHES;

import com.rendertrust.server.credits.LedgerSealHorizon;
import com.rendertrust.server.ledger.anchor.BatchSealer;
import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.InsertValuesStep3;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals committed user-account ledger entries into Merkle batches for anchoring: when the oldest
 * unsealed entry has waited {@code interval}, or as soon as {@code maxEntries} are waiting.
 *
 * <p>No entry skipped: a pass takes only entries with sequence in (last sealed, horizon], where
 * the horizon ({@link LedgerSealHorizon}) is a sequence below which no transaction can still
 * commit an entry. A batch's sequence range starts right after the previous batch's and ends at
 * the horizon (or at its last leaf when the batch is full), so ranges tile the sequence space.
 * No entry twice: ranges never overlap (exclusion constraint on anchor_batches) and the entry's
 * row in ledger_entry_batches is its primary key. One replica at a time: each pass runs in one
 * transaction under a transaction-scoped advisory lock; a replica that does not get it skips.
 */
public final class LedgerSealer implements AutoCloseable {

  /** The advisory lock key of sealing ("RTSEALER" in ASCII); no other job may use it. */
  public static final long LOCK_KEY = 0x5254_5345_414C_4552L;

  /** How long a pass waits for transactions that might still commit entries below the horizon. */
  private static final Duration HORIZON_WAIT = Duration.ofSeconds(1);
  private static final Duration LONGEST_CHECK_PERIOD = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(LedgerSealer.class);

  private final DSLContext dsl;
  private final BatchSealer batches;
  private final LedgerSealHorizon horizon;
  private final Duration interval;
  private final int maxEntries;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Timer batchDuration;

  public LedgerSealer(DSLContext dsl, BatchSealer batches, Duration interval, int maxEntries, Clock clock) {
    this(dsl, batches, interval, maxEntries, clock,
        Timer.builder("rt.ledger.batch.seal.duration").register(new SimpleMeterRegistry()));
  }

  /** {@code batchDuration}: how long sealing each batch took ({@code rt_ledger_batch_seal_duration_seconds}). */
  public LedgerSealer(DSLContext dsl, BatchSealer batches, Duration interval, int maxEntries, Clock clock,
      Timer batchDuration) {
    this.batchDuration = batchDuration;
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be >= 1");
    }
    this.dsl = dsl;
    this.batches = batches;
    this.horizon = new LedgerSealHorizon(dsl);
    this.interval = interval;
    this.maxEntries = maxEntries;
    this.clock = clock;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-ledger-sealer").factory());
  }

  /**
   * Checks every {@code min(interval, 1 s)}: often enough that a full batch does not wait a whole
   * interval, and an interval is kept to within a check period.
   */
  public LedgerSealer start() {
    long period = Math.max(1, Math.min(interval.toMillis(), LONGEST_CHECK_PERIOD.toMillis()));
    scheduler.scheduleWithFixedDelay(this::runPass, period, period, TimeUnit.MILLISECONDS);
    return this;
  }

  private void runPass() {
    try {
      while (sealIfDue().isPresent()) {
        // a full batch was sealed: more may be waiting
      }
    } catch (RuntimeException e) {
      // Never let an exception cancel the schedule; the next pass retries from the database state.
      log.warn("ledger sealing pass failed: {}", e.toString());
    }
  }

  /** One pass: seals one batch if one is due (interval elapsed or a full batch waiting). */
  public Optional<SealedBatch> sealIfDue() {
    return seal(false);
  }

  /** Seals whatever is sealable now, due or not (tests and shutdown-free draining). */
  public Optional<SealedBatch> sealNow() {
    return seal(true);
  }

  private Optional<SealedBatch> seal(boolean force) {
    long startedNanos = System.nanoTime();
    Optional<SealedBatch> sealed = sealUntimed(force);
    sealed.ifPresent(batch -> batchDuration.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS));
    return sealed;
  }

  private Optional<SealedBatch> sealUntimed(boolean force) {
    // Outside the sealing transaction, which has no transaction id of its own then anyway.
    OptionalLong through = horizon.sealableThrough(HORIZON_WAIT);
    if (through.isEmpty()) {
      return Optional.empty();
    }
    long horizonSequence = through.getAsLong();
    return dsl.transactionResult(cfg -> {
      DSLContext tx = DSL.using(cfg);
      if (!tx.fetchSingle("SELECT pg_try_advisory_xact_lock(?)", LOCK_KEY).get(0, Boolean.class)) {
        return Optional.<SealedBatch>empty();
      }
      long lastSealed = tx.select(DSL.coalesce(DSL.max(ANCHOR_BATCHES.LAST_SEQUENCE), 0L))
          .from(ANCHOR_BATCHES).fetchSingle().value1();
      if (horizonSequence <= lastSealed) {
        return Optional.<SealedBatch>empty();
      }
      List<Record> rows = LedgerLeafRows.select(tx, List.of())
          .where(CREDIT_ENTRIES.SEQ.gt(lastSealed).and(CREDIT_ENTRIES.SEQ.le(horizonSequence)))
          .orderBy(CREDIT_ENTRIES.SEQ)
          .limit(maxEntries)
          .fetch();
      if (rows.isEmpty()) {
        return Optional.<SealedBatch>empty();
      }
      boolean full = rows.size() == maxEntries;
      Instant oldest = LedgerLeafRows.leaf(rows.getFirst()).createdAt();
      boolean waitedLongEnough = !oldest.plus(interval).isAfter(clock.instant());
      if (!force && !full && !waitedLongEnough) {
        return Optional.<SealedBatch>empty();
      }
      List<byte[]> leafHashes = new ArrayList<>(rows.size());
      for (Record row : rows) {
        leafHashes.add(LedgerLeafRows.leaf(row).leafHash());
      }
      long first = lastSealed + 1;
      long last = full ? LedgerLeafRows.sequence(rows.getLast()) : horizonSequence;
      SealedBatch sealed = batches.seal(tx, leafHashes, first, last);
      InsertValuesStep3<?, java.util.UUID, Long, Integer> insert = tx.insertInto(LEDGER_ENTRY_BATCHES,
          LEDGER_ENTRY_BATCHES.ENTRY_ID, LEDGER_ENTRY_BATCHES.BATCH_ID, LEDGER_ENTRY_BATCHES.LEAF_INDEX);
      for (int i = 0; i < rows.size(); i++) {
        insert = insert.values(rows.get(i).get(CREDIT_ENTRIES.ID), sealed.batchId(), i);
      }
      insert.execute();
      log.info("sealed ledger batch {}: {} entries, sequences {}..{}", sealed.batchId(), rows.size(), first, last);
      return Optional.of(sealed);
    });
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("ledger sealing pass still running at shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
