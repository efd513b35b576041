package com.rendertrust.server.credits;

/** Which way an entry moved money on its account. */
public enum Direction {
  /** Credits added to the account. */
  CREDIT,
  /** Credits removed from the account. */
  DEBIT;

  public static Direction of(long signedUnits) {
    return signedUnits > 0 ? CREDIT : DEBIT;
  }
}
