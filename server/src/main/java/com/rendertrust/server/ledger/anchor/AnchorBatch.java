package com.rendertrust.server.ledger.anchor;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A sealed batch of ledger entries and the state of its anchor. The id is also the batch id the
 * contract stores the root under, so {@code rootOf(id)} on {@code contractAddress} reads it back.
 */
public record AnchorBatch(
    long id,
    byte[] merkleRoot,
    int entryCount,
    long firstSequence,
    long lastSequence,
    AnchorStatus status,
    Optional<Long> chainId,
    Optional<String> genesisHash,
    Optional<String> contractAddress,
    Optional<String> txHash,
    Optional<Long> blockNumber,
    Optional<String> blockHash,
    Optional<String> lastError,
    Instant createdAt,
    Optional<Instant> submittedAt,
    Optional<Instant> anchoredAt) {

  public AnchorBatch {
    Objects.requireNonNull(merkleRoot, "merkleRoot");
    Objects.requireNonNull(status, "status");
    merkleRoot = merkleRoot.clone();
  }

  @Override
  public byte[] merkleRoot() {
    return merkleRoot.clone();
  }
}
