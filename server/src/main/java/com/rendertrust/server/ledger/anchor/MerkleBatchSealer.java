package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.ledger.merkle.MerkleHashing;
import com.rendertrust.server.ledger.merkle.MerkleTree;
import java.time.Clock;
import java.util.List;
import org.jooq.DSLContext;

/** Computes the batch's RFC 6962 root and stores it with its leaf hashes as a PENDING anchor batch. */
public final class MerkleBatchSealer implements BatchSealer {

  private final AnchorRepository repository;
  private final Clock clock;

  public MerkleBatchSealer(AnchorRepository repository, Clock clock) {
    this.repository = repository;
    this.clock = clock;
  }

  @Override
  public SealedBatch seal(DSLContext transaction, List<byte[]> leafHashes, long firstSequence, long lastSequence) {
    if (leafHashes.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one entry");
    }
    if (lastSequence - firstSequence < leafHashes.size() - 1L) {
      throw new IllegalArgumentException("sequence range " + firstSequence + ".." + lastSequence
          + " cannot hold " + leafHashes.size() + " entries");
    }
    byte[] concatenated = new byte[leafHashes.size() * MerkleHashing.HASH_BYTES];
    for (int i = 0; i < leafHashes.size(); i++) {
      byte[] hash = leafHashes.get(i);
      if (hash.length != MerkleHashing.HASH_BYTES) {
        throw new IllegalArgumentException("leaf hash " + i + " is not 32 bytes");
      }
      System.arraycopy(hash, 0, concatenated, i * MerkleHashing.HASH_BYTES, MerkleHashing.HASH_BYTES);
    }
    byte[] root = MerkleTree.ofConcatenatedLeafHashes(concatenated.clone(), leafHashes.size()).root();
    long id = repository.insertBatch(transaction, root, concatenated, leafHashes.size(), firstSequence, lastSequence,
        clock.instant());
    return new SealedBatch(id, root, leafHashes.size());
  }
}
