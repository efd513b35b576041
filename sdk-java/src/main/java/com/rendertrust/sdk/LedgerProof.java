package com.rendertrust.sdk;

import java.util.List;

/**
 * An inclusion proof of a ledger entry in its anchored batch: the entry's leaf hash, the sibling
 * hashes from leaf to root with their sides, the batch root, and where it was anchored.
 */
public record LedgerProof(String entryId, String leaf, String merkleRoot, List<String> proofHashes,
    List<String> directions, String anchorTxHash, Long blockNumber) {

  public LedgerProof {
    proofHashes = List.copyOf(proofHashes);
    directions = List.copyOf(directions);
  }

  /** Recomputes the root from the leaf and path (RFC 6962 interior hashing) and compares it. */
  public boolean verifiesLocally() {
    return MerkleProofs.rootMatches(leaf, proofHashes, directions, merkleRoot);
  }
}
