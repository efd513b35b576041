package com.rendertrust.server.ledger.anchor;

import java.util.List;
import org.jooq.DSLContext;

/**
 * Turns a run of ledger entries, given as their leaf hashes in sequence order, into a sealed
 * batch for the anchoring worker. The ledger's sealer decides which entries form a batch (by
 * interval or size, never skipping a late commit) and calls this in the same transaction that
 * marks those entries as batched, so an entry is in exactly one batch or in none.
 */
public interface BatchSealer {

  /** The sealed batch: its id (also the on-chain batch id) and Merkle root. */
  record SealedBatch(long batchId, byte[] merkleRoot, int entryCount) {
  }

  /**
   * Seals within {@code transaction}.
   *
   * @param leafHashes    SHA-256(0x00 || canonical entry bytes) of each entry, in sequence order
   * @param firstSequence ledger sequence of the first entry; ranges of two batches never overlap
   * @param lastSequence  ledger sequence of the last entry (inclusive; gaps allowed)
   */
  SealedBatch seal(DSLContext transaction, List<byte[]> leafHashes, long firstSequence, long lastSequence);
}
