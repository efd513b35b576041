package com.rendertrust.server.ledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known-answer tests against the published RFC 6962 vectors of transparency-dev/merkle
 * (https://github.com/transparency-dev/merkle, Apache-2.0), copied as data:
 * <ul>
 *   <li>hasher vectors: {@code rfc6962/rfc6962_test.go} (commit 78493b07ef9b552e3379abf9e23d4da26fbe797c);</li>
 *   <li>leaves, roots of sizes 1..8 and inclusion proofs: {@code proof/verify_test.go}
 *       (commit 02194e9afb6c1d95b5381350007963aa70fff472);</li>
 *   <li>inclusion probes: {@code testdata/inclusion/1..4/*.json} (commits 73a0db1c, 65362ac5).</li>
 * </ul>
 */
class Rfc6962KnownAnswerTest {

  private static final HexFormat HEX = HexFormat.of();

  // proof/verify_test.go: `leaves`
  private static final List<byte[]> LEAVES = Stream.of(
      "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
      .map(HEX::parseHex).toList();

  // proof/verify_test.go: `roots`, the tree head of the first 1..8 leaves
  private static final List<String> ROOTS = List.of(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

  @Test
  void hasherVectors() {
    // echo -n | sha256sum
    assertThat(HEX.formatHex(MerkleHashing.emptyRoot()))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(HEX.formatHex(MerkleTree.ofLeafData(List.of()).root()))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // echo -n 00 | xxd -r -p | sha256sum
    assertThat(HEX.formatHex(MerkleHashing.leafHash(new byte[0])))
        .isEqualTo("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    // echo -n 004C313233343536 | xxd -r -p | sha256sum
    assertThat(HEX.formatHex(MerkleHashing.leafHash("L123456".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
    // echo -n 014E3132334E343536 | xxd -r -p | sha256sum
    assertThat(HEX.formatHex(MerkleHashing.nodeHash(
        "N123".getBytes(StandardCharsets.US_ASCII), "N456".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
  }

  @Test
  void leafAndNodeDomainsAreSeparatedAndOrdered() {
    byte[] hello = MerkleHashing.leafHash("Hello".getBytes(StandardCharsets.US_ASCII));
    byte[] world = MerkleHashing.leafHash("World".getBytes(StandardCharsets.US_ASCII));
    byte[] concatenated = new byte[64];
    System.arraycopy(hello, 0, concatenated, 0, 32);
    System.arraycopy(world, 0, concatenated, 32, 32);
    assertThat(MerkleHashing.nodeHash(hello, world)).isNotEqualTo(MerkleHashing.leafHash(concatenated));
    assertThat(MerkleHashing.nodeHash(hello, world)).isNotEqualTo(MerkleHashing.nodeHash(world, hello));
  }

  @Test
  void rootsOfTheFirstOneToEightLeaves() {
    for (int size = 1; size <= 8; size++) {
      MerkleTree tree = MerkleTree.ofLeafData(LEAVES.subList(0, size));
      assertThat(HEX.formatHex(tree.root())).as("root of %d leaves", size).isEqualTo(ROOTS.get(size - 1));
    }
  }

  static Stream<Arguments> publishedInclusionProofs() {
    // proof/verify_test.go: `inclusionProofs` as {leaf (1-based), size, proof}
    return Stream.of(
        Arguments.of(1, 1, List.of()),
        Arguments.of(1, 8, List.of(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
        Arguments.of(6, 8, List.of(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        Arguments.of(3, 3, List.of("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
        Arguments.of(2, 5, List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")));
  }

  @ParameterizedTest(name = "leaf {0} of {1}")
  @MethodSource("publishedInclusionProofs")
  void generatesAndVerifiesThePublishedInclusionProofs(int leaf, int size, List<String> expected) {
    MerkleTree tree = MerkleTree.ofLeafData(LEAVES.subList(0, size));
    InclusionProof proof = tree.proof(leaf - 1);
    assertThat(proof.siblings().stream().map(HEX::formatHex).toList()).isEqualTo(expected);

    byte[] leafHash = MerkleHashing.leafHash(LEAVES.get(leaf - 1));
    byte[] root = HEX.parseHex(ROOTS.get(size - 1));
    List<byte[]> path = expected.stream().map(HEX::parseHex).toList();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, leaf - 1, size, path, root)).isTrue();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, proof, root)).isTrue();
    assertThat(MerkleVerifier.verifyPath(leafHash, path, proof.directions(), root)).isTrue();

    // The mutation classes of verify_test.go's corruptInclusionProof, each must fail.
    byte[] someHash = HEX.parseHex("abacaba000000000000000000000000000000000000000000060061e00123456");
    byte[] emptyTreeHash = MerkleHashing.emptyRoot();
    long index = leaf - 1;
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index - 1, size, path, root)).as("index - 1").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index + 1, size, path, root)).as("index + 1").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index ^ 2, size, path, root)).as("index ^ 2").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size * 2L, path, root)).as("size * 2").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size / 2, path, root)).as("size / 2").isFalse();
    assertThat(MerkleVerifier.verifyInclusion("WrongLeaf".getBytes(StandardCharsets.US_ASCII), index, size, path, root))
        .as("wrong leaf").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, path, emptyTreeHash)).as("empty root").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, path, someHash)).as("random root").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, with(path, path.size(), new byte[0]), root))
        .as("trailing garbage").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, with(path, path.size(), root), root))
        .as("trailing root").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, with(path, 0, new byte[0]), root))
        .as("preceding garbage").isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, with(path, 0, root), root))
        .as("preceding root").isFalse();
    for (int i = 0; i < path.size(); i++) {
      List<byte[]> modified = path.stream().map(byte[]::clone).toList();
      modified.get(i)[0] ^= 8;
      assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, modified, root))
          .as("modified proof[%d] bit 3", i).isFalse();
    }
    if (!path.isEmpty()) {
      assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, path.subList(0, path.size() - 1), root))
          .as("removed component").isFalse();
    }
    if (path.size() > 1) {
      assertThat(MerkleVerifier.verifyInclusion(leafHash, index, size, with(path, 1, someHash), root))
          .as("inserted component").isFalse();
    }
  }

  /** testdata/inclusion/N/*.json: {desc, leafIdx, treeSize, root, leafHash, proof (base64), wantErr}. */
  static Stream<Arguments> inclusionProbeFiles() {
    String root8 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
    String leaf0 = "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=";
    List<String> proof0of8 = List.of("lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
        "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=");
    return Stream.of(
        Arguments.of("1/happy-path", 0, 8, root8, leaf0, proof0of8, false),
        Arguments.of("1/wrong-leaf", 0, 8, root8, "V3JvbmdMZWFm", proof0of8, true),
        Arguments.of("1/leafIdx-+-1", 1, 8, root8, leaf0, proof0of8, true),
        Arguments.of("1/treeSize-div-2", 0, 4, root8, leaf0, proof0of8, true),
        Arguments.of("1/modified-proof[1]-bit-3", 0, 8, root8, leaf0, List.of(
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Vwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="), true),
        Arguments.of("1/removed-component", 0, 8, root8, leaf0, proof0of8.subList(0, 2), true),
        Arguments.of("1/inserted-component", 0, 8, root8, leaf0, List.of(
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "q6yroAAAAAAAAAAAAAAAAAAAAAAAAAAAAGAGHgASNFY=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="), true),
        Arguments.of("1/trailing-root", 0, 8, root8, leaf0, List.of(
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=", root8), true),
        Arguments.of("2/happy-path", 5, 8, root8, "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=", List.of(
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="), false),
        Arguments.of("3/happy-path", 2, 3, "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=",
            "ApjRIpBtz8EIkstTpzmS/FufST6kybrbJ7eRtBJ6f+c=", List.of("+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="),
            false),
        Arguments.of("4/happy-path", 1, 5, "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", List.of(
                "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
                "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inclusionProbeFiles")
  void inclusionProbes(String file, long leafIndex, long treeSize, String root, String leafHash, List<String> proof,
      boolean wantErr) {
    Base64.Decoder b64 = Base64.getDecoder();
    boolean verified = MerkleVerifier.verifyInclusion(b64.decode(leafHash), leafIndex, treeSize,
        proof.stream().map(b64::decode).toList(), b64.decode(root));
    assertThat(verified).isEqualTo(!wantErr);
  }

  @Test
  void happyPathProbesAreTheProofsThisTreeGenerates() {
    MerkleTree eight = MerkleTree.ofLeafData(LEAVES);
    Base64.Encoder b64 = Base64.getEncoder();
    assertThat(b64.encodeToString(eight.root())).isEqualTo("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");
    assertThat(eight.proof(5).siblings().stream().map(b64::encodeToString).toList()).containsExactly(
        "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
        "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=");
    // leaf 5 = 0b101: a right child (sibling 4 on the left), then a left child, then a right child.
    assertThat(eight.proof(5).directions()).containsExactly(Side.LEFT, Side.RIGHT, Side.LEFT);
    assertThat(IntStream.range(0, 8).allMatch(i ->
        MerkleVerifier.verifyInclusion(eight.leafHash(i), eight.proof(i), eight.root()))).isTrue();
  }

  private static List<byte[]> with(List<byte[]> path, int at, byte[] extra) {
    List<byte[]> copy = new java.util.ArrayList<>(path);
    copy.add(at, extra);
    return copy;
  }

  @Test
  void aLeafHashOfTheWrongLengthNeverVerifies() {
    byte[] hash = MerkleHashing.leafHash("data".getBytes(StandardCharsets.US_ASCII));
    assertThat(MerkleVerifier.verifyInclusion(hash, 0, 1, List.of(), hash)).isTrue();
    assertThat(MerkleVerifier.verifyInclusion(new byte[0], 0, 1, List.of(), hash)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(hash, 0, 1, List.of(), new byte[0])).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(Arrays.copyOf(hash, 31), 0, 1, List.of(), Arrays.copyOf(hash, 31)))
        .isFalse();
    for (long[] probe : new long[][] {{0, 0}, {1, 0}, {2, 1}, {1, 1}, {-1, 4}}) {
      assertThat(MerkleVerifier.verifyInclusion(hash, probe[0], probe[1], List.of(), hash))
          .as("index %d of size %d", probe[0], probe[1]).isFalse();
    }
  }
}
