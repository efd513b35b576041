package com.rendertrust.server.testing;

import org.jooq.DSLContext;

/**
 * Row counts of every credits table plus the sum of all balances and holds: equal snapshots
 * before and after a rejected request prove it wrote nothing.
 */
public record LedgerSnapshot(long accounts, long transfers, long entries, long holds, long checkouts, long stripeEvents,
    long balances, long held) {

  public static LedgerSnapshot take(DSLContext dsl) {
    var row = dsl.fetchSingle("""
        SELECT (SELECT count(*) FROM credit_accounts), (SELECT count(*) FROM credit_transfers),
               (SELECT count(*) FROM credit_entries), (SELECT count(*) FROM credit_holds),
               (SELECT count(*) FROM credit_checkouts), (SELECT count(*) FROM stripe_events),
               (SELECT COALESCE(SUM(balance), 0) FROM credit_accounts),
               (SELECT COALESCE(SUM(held), 0) FROM credit_accounts)""");
    return new LedgerSnapshot(row.get(0, Long.class), row.get(1, Long.class), row.get(2, Long.class),
        row.get(3, Long.class), row.get(4, Long.class), row.get(5, Long.class), row.get(6, Long.class),
        row.get(7, Long.class));
  }
}
