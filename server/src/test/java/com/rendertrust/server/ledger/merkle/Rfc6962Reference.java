package com.rendertrust.server.ledger.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * A literal transcription of RFC 6962 section 2.1 (MTH and PATH, recursive, splitting at the
 * largest power of two below n), used only to cross-check the level-by-level {@link MerkleTree}.
 */
final class Rfc6962Reference {

  private Rfc6962Reference() {
  }

  static byte[] mth(List<byte[]> leafHashes) {
    if (leafHashes.isEmpty()) {
      return MerkleHashing.emptyRoot();
    }
    if (leafHashes.size() == 1) {
      return leafHashes.get(0);
    }
    int k = largestPowerOfTwoBelow(leafHashes.size());
    return MerkleHashing.nodeHash(mth(leafHashes.subList(0, k)), mth(leafHashes.subList(k, leafHashes.size())));
  }

  static List<byte[]> path(int m, List<byte[]> leafHashes) {
    int n = leafHashes.size();
    if (n == 1) {
      return new ArrayList<>();
    }
    int k = largestPowerOfTwoBelow(n);
    List<byte[]> path;
    if (m < k) {
      path = path(m, leafHashes.subList(0, k));
      path.add(mth(leafHashes.subList(k, n)));
    } else {
      path = path(m - k, leafHashes.subList(k, n));
      path.add(mth(leafHashes.subList(0, k)));
    }
    return path;
  }

  static int largestPowerOfTwoBelow(int n) {
    return Integer.highestOneBit(n - 1);
  }
}
