package com.rendertrust.server.ledger.merkle;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks inclusion proofs. The strict form knows the leaf's index and the tree size and follows
 * RFC 9162 section 2.1.3.2: the path must have exactly the length and sibling sides that position
 * implies, so a wrong index, a wrong size, a flipped direction, a truncated or an extended path is
 * rejected even before any hash is compared. Hashes of any length other than 32 bytes never verify.
 */
public final class MerkleVerifier {

  private static final int H = MerkleHashing.HASH_BYTES;

  private MerkleVerifier() {
  }

  /** True only if {@code siblings} is the audit path of leaf {@code leafIndex} in a tree of {@code treeSize} with this root. */
  public static boolean verifyInclusion(byte[] leafHash, long leafIndex, long treeSize, List<byte[]> siblings,
      byte[] root) {
    List<Side> sides = sidesFor(leafIndex, treeSize);
    if (sides == null || siblings.size() != sides.size()) {
      return false;
    }
    return rootMatches(leafHash, siblings, sides, root);
  }

  /** As above, and the proof's stated directions must be the ones its position implies. */
  public static boolean verifyInclusion(byte[] leafHash, InclusionProof proof, byte[] root) {
    List<Side> sides = sidesFor(proof.leafIndex(), proof.treeSize());
    if (sides == null || !sides.equals(proof.directions())) {
      return false;
    }
    return verifyInclusion(leafHash, proof.leafIndex(), proof.treeSize(), proof.siblings(), root);
  }

  /**
   * The check a client can do with only what the proof API returns (hashes and directions, no
   * index or size): fold the path as the directions say and compare with the root.
   */
  public static boolean verifyPath(byte[] leafHash, List<byte[]> siblings, List<Side> directions, byte[] root) {
    if (siblings.size() != directions.size()) {
      return false;
    }
    return rootMatches(leafHash, siblings, directions, root);
  }

  /**
   * The sibling sides of the audit path of {@code leafIndex} in a tree of {@code treeSize}, bottom
   * up; null when the index is outside the tree. This is RFC 9162's verification loop without the
   * hashing: at a level where the node is a right child, or the last node with no right sibling
   * (which is carried up until it becomes a right child), the sibling is on the left.
   */
  public static List<Side> sidesFor(long leafIndex, long treeSize) {
    if (treeSize < 1 || leafIndex < 0 || leafIndex >= treeSize) {
      return null;
    }
    List<Side> sides = new ArrayList<>();
    long fn = leafIndex;
    long sn = treeSize - 1;
    while (sn > 0) {
      if ((fn & 1) == 1 || fn == sn) {
        sides.add(Side.LEFT);
        while ((fn & 1) == 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sides.add(Side.RIGHT);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sides;
  }

  /** The root this path leads to from the leaf, or null if any hash is not 32 bytes. */
  public static byte[] rootFromPath(byte[] leafHash, List<byte[]> siblings, List<Side> directions) {
    if (leafHash == null || leafHash.length != H || siblings.size() != directions.size()) {
      return null;
    }
    MessageDigest sha256 = MerkleHashing.sha256();
    byte[] current = leafHash;
    for (int i = 0; i < siblings.size(); i++) {
      byte[] sibling = siblings.get(i);
      Side side = directions.get(i);
      if (sibling == null || sibling.length != H || side == null) {
        return null;
      }
      boolean siblingOnLeft = side == Side.LEFT;
      sha256.update(MerkleHashing.NODE_PREFIX);
      sha256.update(siblingOnLeft ? sibling : current);
      sha256.update(siblingOnLeft ? current : sibling);
      current = sha256.digest();
    }
    return current;
  }

  private static boolean rootMatches(byte[] leafHash, List<byte[]> siblings, List<Side> sides, byte[] root) {
    if (root == null || root.length != H) {
      return false;
    }
    byte[] computed = rootFromPath(leafHash, siblings, sides);
    return computed != null && MessageDigest.isEqual(computed, root);
  }
}
