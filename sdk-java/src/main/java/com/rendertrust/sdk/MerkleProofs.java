package com.rendertrust.sdk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** RFC 6962 path verification, so callers need not trust the server's own "verified". */
final class MerkleProofs {

  private static final HexFormat HEX = HexFormat.of();

  private MerkleProofs() {
  }

  static boolean rootMatches(String leafHex, List<String> siblings, List<String> directions, String rootHex) {
    if (leafHex == null || rootHex == null || siblings.size() != directions.size()) {
      return false;
    }
    try {
      byte[] current = HEX.parseHex(leafHex);
      for (int i = 0; i < siblings.size(); i++) {
        byte[] sibling = HEX.parseHex(siblings.get(i));
        current = switch (directions.get(i)) {
          case "left" -> interior(sibling, current);
          case "right" -> interior(current, sibling);
          default -> null;
        };
        if (current == null) {
          return false;
        }
      }
      return MessageDigest.isEqual(current, HEX.parseHex(rootHex));
    } catch (IllegalArgumentException malformedHex) {
      return false;
    }
  }

  private static byte[] interior(byte[] left, byte[] right) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update((byte) 0x01);
      sha256.update(left);
      sha256.update(right);
      return sha256.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
