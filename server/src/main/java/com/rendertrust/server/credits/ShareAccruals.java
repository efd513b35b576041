package com.rendertrust.server.credits;

import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pays the operators' shares and the platform's fees that batched captures owe
 * ({@code credit_settlements}, migration V22): a batched capture posts only the user's transfer to
 * its job_holds shard and one settlement row per job; an accrual pays many rows at once, one
 * transfer per (shard, operator) and per (shard, platform revenue shard), instead of two per job.
 *
 * <p>Every replica accrues every {@link #INTERVAL}; rows another transaction holds are skipped, so
 * replicas never pay a row twice or wait for each other. Whatever reads or moves a share before
 * then accrues it first, in its own transaction: a refund its job's row ({@link #accrueJobWithin}),
 * a payout the operator's rows ({@link #accrueOperatorWithin}). What an operator sees as earnings
 * counts the rows not accrued yet ({@link OperatorEarnings}).
 */
public final class ShareAccruals implements AutoCloseable {

  /** How often the rows owed are paid; an operator's balance lags its earnings by about this. */
  public static final Duration INTERVAL = Duration.ofSeconds(1);
  /** Rows per accrual transaction; a pass runs accruals until fewer are left. */
  static final int ROWS_PER_ACCRUAL = 10_000;

  private static final Logger log = LoggerFactory.getLogger(ShareAccruals.class);

  private static final PreparedSql ACCRUE = new PreparedSql(
      "SELECT credit_settlements_accrue(CAST(? AS uuid[]), CAST(? AS uuid), CAST(? AS integer))");
  private static final PreparedSql LOCK_JOB = new PreparedSql(
      "SELECT 1 FROM credit_settlements WHERE hold_key = CAST(? AS uuid) FOR UPDATE");

  private final Transactions transactions;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("rt-share-accruals").factory());

  public ShareAccruals(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** Accrues every {@link #INTERVAL} until closed. */
  public ShareAccruals start() {
    long period = INTERVAL.toMillis();
    scheduler.scheduleWithFixedDelay(this::accrueSafely, period, period, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Pays every row owed that no other transaction holds; returns how many were paid. */
  public int accrueDue() {
    int total = 0;
    int paid;
    do {
      paid = transactions.inTransaction(tx -> accrue(tx, null, null, ROWS_PER_ACCRUAL));
      total += paid;
    } while (paid == ROWS_PER_ACCRUAL);
    return total;
  }

  /**
   * Pays the job's row within {@code tx}, waiting for a concurrent accrual of it to end first; a
   * job without a row (or accrued before) pays nothing. Lock order: the caller may hold the job's
   * hold and its user's account (both come before the row and the system accounts).
   */
  static void accrueJobWithin(DSLContext tx, UUID jobId) {
    if (!LOCK_JOB.fetch(tx, row -> row.getInt(1), jobId).isEmpty()) {
      accrue(tx, new UUID[] {jobId}, null, 1);
    }
  }

  /**
   * Pays every row owed to the operator's earnings account within {@code tx}, before the caller
   * locks that account (accounts are locked job_holds shards first, earnings after). A row a
   * concurrent accrual holds is paid by it.
   */
  static void accrueOperatorWithin(DSLContext tx, UUID earningsAccountId) {
    while (accrue(tx, null, earningsAccountId, ROWS_PER_ACCRUAL) == ROWS_PER_ACCRUAL) {
      // another round for an operator with more rows owed than one accrual takes
    }
  }

  private static int accrue(DSLContext tx, UUID[] holdKeys, UUID earningsAccountId, int limit) {
    return ACCRUE.fetch(tx, row -> row.getInt(1), holdKeys, earningsAccountId, limit).getFirst();
  }

  private void accrueSafely() {
    try {
      accrueDue();
    } catch (RuntimeException e) {
      // never let an exception cancel the schedule: the rows stay owed and the next pass pays them
      log.warn("accrual of operators' shares failed; retrying at the next pass", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("share accruals did not stop within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
