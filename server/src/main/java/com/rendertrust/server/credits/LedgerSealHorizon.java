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
 * every number &lt;= L is already held by some transaction; (2) then take a transaction id X of
 * our own (ids are handed out in increasing order, so every transaction holding a number
 * &lt;= L has an id below X); (3) wait until the oldest running transaction id of the cluster
 * (the xmin of a fresh snapshot) is &gt;= X, i.e. every transaction with an id below X has
 * ended. After that, the committed entries with seq &lt;= L are final: no transaction can still
 * add one (numbers of rolled-back transactions are gaps, never filled later). A sealer may batch
 * exactly {@code seq in (last sealed, L]}, ordered by seq.
 *
 * <p>Why not the in-progress list of a snapshot: it only lists ids below the snapshot's xmax,
 * which is the latest <em>completed</em> id + 1; a running transaction with a newer id is not
 * listed at all, and a sealer trusting the list skipped such late commits (LedgerSealerTest).
 * The cost of step (2) is one transaction id per call.
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
    // Two statements, in this order: an id taken first could be older than a transaction that
    // takes a number before last_value is read.
    long last = dsl.fetchSingle(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM credit_entry_sequence").get(0, Long.class);
    String ownId = dsl.fetchSingle("SELECT pg_current_xact_id()::text").get(0, String.class);
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      boolean drained = dsl.fetchSingle(
          "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ?::xid8", ownId).get(0, Boolean.class);
      if (drained) {
        return OptionalLong.of(last);
      }
      if (System.nanoTime() >= deadline) {
        return OptionalLong.empty();
      }
      LockSupport.parkNanos(POLL_INTERVAL.toNanos());
    }
  }
}
