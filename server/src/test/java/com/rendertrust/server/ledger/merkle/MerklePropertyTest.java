package com.rendertrust.server.ledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Properties over many random trees, from a fixed seed so a failure reproduces (the seed is in
 * every assertion message): every leaf of every tree of size 1..2000 verifies, the tree equals
 * the recursive RFC 6962 definition, and every single-bit or structural mutation of a proof fails.
 */
class MerklePropertyTest {

  private static final long SEED = 0x5eed_6962L;
  private static final int MAX_SIZE = 2000;

  /** Every size up to 70 (all small shapes), every power of two and its neighbours, and random sizes up to 2000. */
  private static List<Integer> sizes(SplittableRandom random) {
    TreeSet<Integer> sizes = new TreeSet<>();
    for (int n = 1; n <= 70; n++) {
      sizes.add(n);
    }
    for (int p = 128; p <= 1024; p <<= 1) {
      sizes.add(p - 1);
      sizes.add(p);
      sizes.add(p + 1);
    }
    sizes.add(MAX_SIZE);
    while (sizes.size() < 120) {
      sizes.add(1 + random.nextInt(MAX_SIZE));
    }
    return new ArrayList<>(sizes);
  }

  private static List<byte[]> randomLeafData(SplittableRandom random, int size) {
    List<byte[]> leaves = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      byte[] data = new byte[random.nextInt(80)];
      random.nextBytes(data);
      leaves.add(data);
    }
    return leaves;
  }

  @Test
  void everyLeafOfRandomTreesVerifiesAndMatchesTheRecursiveDefinition() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int size : sizes(random)) {
      List<byte[]> data = randomLeafData(random, size);
      MerkleTree tree = MerkleTree.ofLeafData(data);
      List<byte[]> leafHashes = data.stream().map(MerkleHashing::leafHash).toList();
      byte[] root = tree.root();
      assertThat(root).as("seed %x size %d: root = RFC 6962 MTH", SEED, size).isEqualTo(Rfc6962Reference.mth(leafHashes));
      assertThat(MerkleTree.ofLeafHashes(leafHashes).root()).isEqualTo(root);
      boolean checkPaths = size <= 300;
      for (int i = 0; i < size; i++) {
        InclusionProof proof = tree.proof(i);
        assertThat(tree.leafHash(i)).isEqualTo(leafHashes.get(i));
        assertThat(MerkleVerifier.verifyInclusion(leafHashes.get(i), proof, root))
            .as("seed %x size %d leaf %d verifies", SEED, size, i).isTrue();
        assertThat(MerkleVerifier.verifyPath(leafHashes.get(i), proof.siblings(), proof.directions(), root)).isTrue();
        assertThat(proof.directions()).isEqualTo(MerkleVerifier.sidesFor(i, size));
        if (checkPaths) {
          assertThat(proof.siblings()).as("seed %x size %d leaf %d: PATH", SEED, size, i)
              .usingElementComparator((a, b) -> java.util.Arrays.equals(a, b) ? 0 : 1)
              .containsExactlyElementsOf(Rfc6962Reference.path(i, leafHashes));
        }
      }
    }
  }

  @Test
  void everySingleBitMutationOfLeafProofOrRootFails() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    for (int round = 0; round < 40; round++) {
      int size = 1 + random.nextInt(round < 20 ? 40 : MAX_SIZE);
      MerkleTree tree = MerkleTree.ofLeafData(randomLeafData(random, size));
      int index = random.nextInt(size);
      InclusionProof proof = tree.proof(index);
      byte[] leaf = tree.leafHash(index);
      byte[] root = tree.root();
      String where = "seed %x round %d size %d leaf %d".formatted(SEED + 1, round, size, index);
      assertThat(MerkleVerifier.verifyInclusion(leaf, proof, root)).as(where).isTrue();

      for (int bit = 0; bit < 256; bit++) {
        assertThat(MerkleVerifier.verifyInclusion(flip(leaf, bit), proof, root)).as("%s leaf bit %d", where, bit).isFalse();
        assertThat(MerkleVerifier.verifyInclusion(leaf, proof, flip(root, bit))).as("%s root bit %d", where, bit).isFalse();
        for (int s = 0; s < proof.siblings().size(); s++) {
          List<byte[]> siblings = new ArrayList<>(proof.siblings());
          siblings.set(s, flip(siblings.get(s), bit));
          InclusionProof mutated = new InclusionProof(index, size, siblings, proof.directions());
          assertThat(MerkleVerifier.verifyInclusion(leaf, mutated, root)).as("%s sibling %d bit %d", where, s, bit).isFalse();
          assertThat(MerkleVerifier.verifyPath(leaf, siblings, proof.directions(), root)).isFalse();
        }
      }
    }
  }

  @Test
  void wrongPositionFlippedDirectionSwappedSiblingAndResizedPathsFail() {
    SplittableRandom random = new SplittableRandom(SEED + 2);
    byte[] stranger = new byte[32];
    random.nextBytes(stranger);
    for (int round = 0; round < 300; round++) {
      int size = 2 + random.nextInt(round < 150 ? 64 : MAX_SIZE);
      MerkleTree tree = MerkleTree.ofLeafData(randomLeafData(random, size));
      int index = random.nextInt(size);
      InclusionProof proof = tree.proof(index);
      List<byte[]> path = proof.siblings();
      List<Side> sides = proof.directions();
      byte[] leaf = tree.leafHash(index);
      byte[] root = tree.root();
      String where = "seed %x round %d size %d leaf %d".formatted(SEED + 2, round, size, index);

      for (long wrongIndex : new long[] {index - 1, index + 1, index ^ 2, index ^ 1, -1, size}) {
        if (wrongIndex != index) {
          assertThat(MerkleVerifier.verifyInclusion(leaf, wrongIndex, size, path, root))
              .as("%s as index %d", where, wrongIndex).isFalse();
        }
      }
      for (long wrongSize : new long[] {size - 1, size + 1, size * 2L, size / 2, index}) {
        if (wrongSize != size && !sameShape(index, size, wrongSize)) {
          assertThat(MerkleVerifier.verifyInclusion(leaf, index, wrongSize, path, root))
              .as("%s as size %d", where, wrongSize).isFalse();
        }
      }
      for (int s = 0; s < sides.size(); s++) {
        List<Side> flipped = new ArrayList<>(sides);
        flipped.set(s, sides.get(s) == Side.LEFT ? Side.RIGHT : Side.LEFT);
        assertThat(MerkleVerifier.verifyPath(leaf, path, flipped, root)).as("%s flipped direction %d", where, s).isFalse();
        assertThat(MerkleVerifier.verifyInclusion(leaf, new InclusionProof(index, size, path, flipped), root))
            .as("%s flipped direction %d, strict", where, s).isFalse();
      }
      if (path.size() > 1) {
        int s = random.nextInt(path.size() - 1);
        List<byte[]> swapped = new ArrayList<>(path);
        Collections.swap(swapped, s, s + 1);
        List<Side> swappedSides = new ArrayList<>(sides);
        Collections.swap(swappedSides, s, s + 1);
        assertThat(MerkleVerifier.verifyInclusion(leaf, index, size, swapped, root)).as("%s swapped %d", where, s).isFalse();
        assertThat(MerkleVerifier.verifyPath(leaf, swapped, swappedSides, root)).as("%s swapped with sides", where).isFalse();
      }
      List<Supplier<List<byte[]>>> resized = List.of(
          () -> path.subList(0, path.size() - 1),
          () -> path.subList(1, path.size()),
          () -> append(path, root),
          () -> append(path, stranger),
          () -> prepend(path, leaf));
      for (Supplier<List<byte[]>> variant : resized) {
        List<byte[]> changed = variant.get();
        if (changed.size() != path.size()) {
          assertThat(MerkleVerifier.verifyInclusion(leaf, index, size, changed, root))
              .as("%s path of %d instead of %d", where, changed.size(), path.size()).isFalse();
        }
      }
      assertThat(MerkleVerifier.verifyPath(leaf, append(path, stranger), append(sides, Side.LEFT), root)).isFalse();
      assertThat(MerkleVerifier.verifyPath(leaf, path.subList(0, path.size() - 1), sides.subList(0, sides.size() - 1),
          root)).isFalse();
      int other = (index + 1 + random.nextInt(size - 1)) % size;
      assertThat(MerkleVerifier.verifyInclusion(tree.leafHash(other), proof, root)).as("%s leaf %d", where, other).isFalse();
    }
  }

  /**
   * Whether another tree size gives this index an audit path of the same shape (e.g. leaf 0 of 3
   * and of 4 leaves: two right siblings each). A path of hashes alone cannot tell such sizes
   * apart (RFC 9162 has the same limit): the last sibling may be a leaf or a subtree. What binds
   * the size is the root, stored with the batch's entry count. Every other wrong size must fail.
   */
  private static boolean sameShape(long index, long size, long otherSize) {
    return index < otherSize && MerkleVerifier.sidesFor(index, size).equals(MerkleVerifier.sidesFor(index, otherSize));
  }

  private static byte[] flip(byte[] hash, int bit) {
    byte[] copy = hash.clone();
    copy[bit / 8] ^= (byte) (1 << (bit % 8));
    return copy;
  }

  private static <T> List<T> append(List<T> list, T extra) {
    List<T> copy = new ArrayList<>(list);
    copy.add(extra);
    return copy;
  }

  private static <T> List<T> prepend(List<T> list, T extra) {
    List<T> copy = new ArrayList<>(list);
    copy.add(0, extra);
    return copy;
  }
}
