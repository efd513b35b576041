package com.rendertrust.server.ledger.merkle;

import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 6962 Merkle tree over a fixed list of leaves, with every level kept so inclusion proofs
 * come out in O(log n) without rehashing.
 *
 * <p>RFC 6962 splits a list of n leaves at the largest power of two k below n:
 * MTH(D[n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])). Building level by level — pair nodes left to
 * right and carry an odd last node up unchanged (never hash it with itself) — yields exactly that
 * tree, which the tests check against a literal transcription of the recursive definition. Each
 * level is one flat array of 32-byte hashes: a million leaves cost 64 MB, not two million objects.
 */
public final class MerkleTree {

  private static final int H = MerkleHashing.HASH_BYTES;

  private final int size;
  private final byte[][] levels;

  private MerkleTree(int size, byte[][] levels) {
    this.size = size;
    this.levels = levels;
  }

  /** A tree whose leaves are the given data items; each is hashed as SHA-256(0x00 || data). */
  public static MerkleTree ofLeafData(List<byte[]> leafData) {
    MessageDigest sha256 = MerkleHashing.sha256();
    byte[] leafLevel = new byte[Math.multiplyExact(leafData.size(), H)];
    for (int i = 0; i < leafData.size(); i++) {
      sha256.update(MerkleHashing.LEAF_PREFIX);
      sha256.update(leafData.get(i));
      digestInto(sha256, leafLevel, i);
    }
    return build(leafLevel, leafData.size(), sha256);
  }

  /** A tree over already computed leaf hashes (32 bytes each), in order. */
  public static MerkleTree ofLeafHashes(List<byte[]> leafHashes) {
    byte[] leafLevel = new byte[Math.multiplyExact(leafHashes.size(), H)];
    for (int i = 0; i < leafHashes.size(); i++) {
      byte[] hash = leafHashes.get(i);
      if (hash.length != H) {
        throw new IllegalArgumentException("leaf hash " + i + " is " + hash.length + " bytes, not " + H);
      }
      System.arraycopy(hash, 0, leafLevel, i * H, H);
    }
    return build(leafLevel, leafHashes.size(), MerkleHashing.sha256());
  }

  /** A tree over {@code count} leaf hashes laid end to end in {@code concatenated} (which it takes over). */
  public static MerkleTree ofConcatenatedLeafHashes(byte[] concatenated, int count) {
    if (concatenated.length != (long) count * H) {
      throw new IllegalArgumentException("expected " + count + " hashes of " + H + " bytes");
    }
    return build(concatenated, count, MerkleHashing.sha256());
  }

  private static MerkleTree build(byte[] leafLevel, int size, MessageDigest sha256) {
    List<byte[]> levels = new ArrayList<>();
    levels.add(leafLevel);
    byte[] current = leafLevel;
    int count = size;
    while (count > 1) {
      int pairs = count / 2;
      int nextCount = (count + 1) / 2;
      byte[] next = new byte[nextCount * H];
      for (int i = 0; i < pairs; i++) {
        sha256.update(MerkleHashing.NODE_PREFIX);
        sha256.update(current, 2 * i * H, 2 * H);
        digestInto(sha256, next, i);
      }
      if (count % 2 == 1) {
        System.arraycopy(current, (count - 1) * H, next, pairs * H, H);
      }
      levels.add(next);
      current = next;
      count = nextCount;
    }
    return new MerkleTree(size, levels.toArray(new byte[0][]));
  }

  private static void digestInto(MessageDigest sha256, byte[] target, int index) {
    try {
      sha256.digest(target, index * H, H);
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 output does not fit 32 bytes", e);
    }
  }

  public int size() {
    return size;
  }

  /** The tree head; for no leaves, SHA-256 of the empty string (RFC 6962). */
  public byte[] root() {
    if (size == 0) {
      return MerkleHashing.emptyRoot();
    }
    byte[] top = levels[levels.length - 1];
    return slice(top, 0);
  }

  public byte[] leafHash(int index) {
    checkIndex(index);
    return slice(levels[0], index);
  }

  /** The audit path of leaf {@code index}: siblings bottom-up, a level without a sibling contributes none. */
  public InclusionProof proof(int index) {
    checkIndex(index);
    List<byte[]> siblings = new ArrayList<>();
    List<Side> directions = new ArrayList<>();
    int position = index;
    int count = size;
    for (int level = 0; level < levels.length - 1; level++) {
      int sibling = position ^ 1;
      if (sibling < count) {
        siblings.add(slice(levels[level], sibling));
        directions.add((position & 1) == 1 ? Side.LEFT : Side.RIGHT);
      }
      position >>= 1;
      count = (count + 1) / 2;
    }
    return new InclusionProof(index, size, siblings, directions);
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("leaf " + index + " of a tree of " + size);
    }
  }

  private static byte[] slice(byte[] level, int index) {
    byte[] hash = new byte[H];
    System.arraycopy(level, index * H, hash, 0, H);
    return hash;
  }
}
