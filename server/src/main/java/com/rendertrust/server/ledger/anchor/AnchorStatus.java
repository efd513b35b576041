package com.rendertrust.server.ledger.anchor;

/** Where a sealed batch's anchor stands; the names are the API's and the database's. */
public enum AnchorStatus {
  /** Sealed; no anchor transaction signed yet (or the last one reverted). */
  PENDING,
  /** A signed transaction is recorded and (being) broadcast, not yet mined on the canonical chain. */
  SUBMITTED,
  /** Mined; fewer than the required confirmations, or the contract's root not yet checked. */
  INCLUDED,
  /** Enough confirmations and the contract holds exactly our root. Terminal. */
  FINAL
}
