package com.rendertrust.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A three-leaf RFC 6962 tree built by hand: root = H(1 || H(1 || l0 || l1) || l2). */
class MerkleProofsTest {

  private static final HexFormat HEX = HexFormat.of();

  private static byte[] sha(byte prefix, byte[]... parts) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(prefix);
    for (byte[] part : parts) {
      digest.update(part);
    }
    return digest.digest();
  }

  @Test
  void acceptsTheTruePathAndRejectsEveryTamperedOne() throws Exception {
    byte[] l0 = sha((byte) 0, "a".getBytes());
    byte[] l1 = sha((byte) 0, "b".getBytes());
    byte[] l2 = sha((byte) 0, "c".getBytes());
    byte[] left = sha((byte) 1, l0, l1);
    String root = HEX.formatHex(sha((byte) 1, left, l2));

    // proof of l1: sibling l0 on the left, then l2 on the right
    List<String> siblings = List.of(HEX.formatHex(l0), HEX.formatHex(l2));
    LedgerProof proof = new LedgerProof("e", HEX.formatHex(l1), root, siblings, List.of("left", "right"), null, null);
    assertThat(proof.verifiesLocally()).isTrue();

    assertThat(new LedgerProof("e", HEX.formatHex(l1), root, siblings, List.of("right", "right"), null, null)
        .verifiesLocally()).as("flipped direction").isFalse();
    assertThat(new LedgerProof("e", HEX.formatHex(l1), root, List.of(HEX.formatHex(l0)), List.of("left"), null, null)
        .verifiesLocally()).as("truncated path").isFalse();
    assertThat(new LedgerProof("e", HEX.formatHex(l2), root, siblings, List.of("left", "right"), null, null)
        .verifiesLocally()).as("other leaf").isFalse();
    assertThat(new LedgerProof("e", HEX.formatHex(l1), root, List.of(HEX.formatHex(l2), HEX.formatHex(l0)),
        List.of("left", "right"), null, null).verifiesLocally()).as("swapped siblings").isFalse();
    assertThat(new LedgerProof("e", "zz", root, siblings, List.of("left", "right"), null, null)
        .verifiesLocally()).as("malformed hex").isFalse();
  }
}
