package com.rendertrust.server.credits;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;
import org.jooq.DSLContext;

/**
 * The highest entry sequence number below which the ledger can no longer change, for Merkle
 * batching ("no entry skipped").
 *
 * <p>Why it is needed: sequence numbers are handed out when an entry is inserted, not when its
 * transaction commits. A slow transaction can hold number 41 while number 42 is already
 * committed and visible; a sealer that took "everything up to 42" would skip 41 for ever.
 *
 * <p>How it works: the entry trigger takes a transaction id <em>before</em> it takes a
 * sequence number, and the sequence has CACHE 1. So (1) read the sequence's last_value L:
 * every number &lt;= L is already held by some transaction; (2) then take a snapshot: every
 * transaction that holds a number &lt;= L has a transaction id that is either finished or in
 * the snapshot's in-progress list; (3) wait until that list has drained. After that, the
 * committed entries with seq &lt;= L are final: no transaction can still add one (numbers of
 * rolled-back transactions are gaps, never filled later). A sealer may batch exactly
 * {@code seq in (last sealed, L]}, ordered by seq.
 *
 * <p>Conservative by design: it also waits for unrelated write transactions that were running
 * (in any database of the cluster), so callers bound the wait and simply try again later.
 */
public final class LedgerSealHorizon {

  private static final Duration POLL_INTERVAL = Duration.ofMillis(5);

  private final DSLContext dsl;

  public LedgerSealHorizon(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * L as described above, once every transaction that might still insert an entry numbered
   * &lt;= L has ended; empty if some such transaction is still running after {@code maxWait}.
   * 0 when no entry was ever numbered.
   */
  public OptionalLong sealableThrough(Duration maxWait) {
    // Two statements, in this order: a snapshot taken first could miss a transaction that
    // starts after it and takes a number before last_value is read.
    long last = dsl.fetchSingle(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM credit_entry_sequence").get(0, Long.class);
    String snapshot = dsl.fetchSingle("SELECT pg_current_snapshot()::text").get(0, String.class);
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      int running = dsl.fetchSingle(
          "SELECT count(*) FROM pg_snapshot_xip(?::pg_snapshot) AS x WHERE pg_xact_status(x) = 'in progress'",
          snapshot).get(0, Integer.class);
      if (running == 0) {
        return OptionalLong.of(last);
      }
      if (System.nanoTime() >= deadline) {
        return OptionalLong.empty();
      }
      LockSupport.parkNanos(POLL_INTERVAL.toNanos());
    }
  }
}
