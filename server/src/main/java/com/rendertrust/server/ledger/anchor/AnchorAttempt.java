package com.rendertrust.server.ledger.anchor;

import java.math.BigInteger;
import java.time.Instant;

/** One signed anchor transaction of a batch, as recorded before it was broadcast. */
public record AnchorAttempt(String txHash, long batchId, long nonce, BigInteger gasPrice, byte[] raw, Instant createdAt) {

  public AnchorAttempt {
    raw = raw.clone();
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }
}
