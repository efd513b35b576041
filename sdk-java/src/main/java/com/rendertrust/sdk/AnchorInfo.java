package com.rendertrust.sdk;

import java.time.Instant;

/** One sealed batch of ledger entries and the state of its on-chain anchor. */
public record AnchorInfo(String batchId, String merkleRoot, int entryCount, long firstSequence, long lastSequence,
    String status, String txHash, Long blockNumber, Instant createdAt, Instant anchoredAt) {
}
