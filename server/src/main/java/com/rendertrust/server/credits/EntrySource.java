package com.rendertrust.server.credits;

/** Why money moved, as shown in credit history. */
public enum EntrySource {
  PURCHASE,
  USAGE,
  REFUND,
  ADJUSTMENT,
  PAYOUT,
  /** Credits bought with an on-chain token deposit. */
  DEPOSIT
}
