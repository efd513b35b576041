package com.rendertrust.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.credits.LedgerInvariants;
import org.jooq.DSLContext;

/** The end of every money-moving test: the ledger's promises hold on what is stored. */
public final class LedgerAssertions {

  private LedgerAssertions() {
  }

  /** Runs {@link LedgerInvariants} (conservation, balances, no overdraft, holds, external events once). */
  public static void assertLedgerInvariants(DSLContext dsl) {
    assertThat(new LedgerInvariants(dsl).violations()).as("ledger invariant violations").isEmpty();
  }
}
