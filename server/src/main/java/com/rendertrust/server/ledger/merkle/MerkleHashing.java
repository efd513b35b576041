package com.rendertrust.server.ledger.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The RFC 6962 hash functions (section 2.1): a leaf is SHA-256(0x00 || data), an inner node is
 * SHA-256(0x01 || left || right). The different prefixes keep a leaf from ever being passed off
 * as an inner node (second-preimage attacks on the tree).
 */
public final class MerkleHashing {

  public static final int HASH_BYTES = 32;
  static final byte LEAF_PREFIX = 0x00;
  static final byte NODE_PREFIX = 0x01;

  private MerkleHashing() {
  }

  public static byte[] leafHash(byte[] data) {
    MessageDigest sha256 = sha256();
    sha256.update(LEAF_PREFIX);
    sha256.update(data);
    return sha256.digest();
  }

  public static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest sha256 = sha256();
    sha256.update(NODE_PREFIX);
    sha256.update(left);
    sha256.update(right);
    return sha256.digest();
  }

  /** The root of the empty tree: SHA-256 of nothing (RFC 6962 section 2.1). */
  public static byte[] emptyRoot() {
    return sha256().digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }
}
