package com.rendertrust.server.ledger.merkle;

import java.util.List;
import java.util.Objects;

/**
 * The audit path of one leaf (RFC 6962 section 2.1.1): sibling hashes from the leaf level up to
 * the root, each with the side it sits on. {@code leafIndex} and {@code treeSize} pin the path's
 * shape, so a verifier that knows them rejects a path for any other position.
 */
public record InclusionProof(long leafIndex, long treeSize, List<byte[]> siblings, List<Side> directions) {

  public InclusionProof {
    if (treeSize < 1 || leafIndex < 0 || leafIndex >= treeSize) {
      throw new IllegalArgumentException("leaf index " + leafIndex + " outside a tree of " + treeSize);
    }
    Objects.requireNonNull(siblings, "siblings");
    Objects.requireNonNull(directions, "directions");
    if (siblings.size() != directions.size()) {
      throw new IllegalArgumentException("one direction per sibling");
    }
    siblings = siblings.stream().map(byte[]::clone).toList();
    directions = List.copyOf(directions);
  }

  /** Copies, so the proof stays immutable. */
  @Override
  public List<byte[]> siblings() {
    return siblings.stream().map(byte[]::clone).toList();
  }
}
