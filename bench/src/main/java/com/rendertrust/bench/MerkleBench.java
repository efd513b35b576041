package com.rendertrust.bench;

import com.rendertrust.server.ledger.merkle.InclusionProof;
import com.rendertrust.server.ledger.merkle.MerkleHashing;
import com.rendertrust.server.ledger.merkle.MerkleTree;
import com.rendertrust.server.ledger.merkle.MerkleVerifier;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Merkle tree throughput next to raw SHA-256 measured in the same JVM, same run, interleaved
 * round by round (so JIT state, heap and CPU frequency are shared). For n leaves of
 * {@value #LEAF_BYTES} bytes (about one canonical ledger entry) it reports, as the median of
 * the measured rounds:
 * <ul>
 *   <li>raw leaves: n × SHA-256 over the leaf bytes, nothing else (the floor for any tree);</li>
 *   <li>raw same work: the exact SHA-256 calls a tree makes (n leaf hashes of 0x00||data plus
 *       n-1 node hashes of 65 bytes) in a flat loop, no tree bookkeeping;</li>
 *   <li>tree from data: {@link MerkleTree#ofLeafData} (leaf hashing + all levels + root);</li>
 *   <li>tree from leaf hashes: rebuilding a sealed batch from its stored leaf hashes;</li>
 *   <li>proof: one inclusion proof from a built tree, and its verification.</li>
 * </ul>
 */
public final class MerkleBench {

  static final int LEAF_BYTES = 120;
  private static final int PROOFS_PER_ROUND = 20_000;

  private MerkleBench() {
  }

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {1_000, 10_000, 100_000, 1_000_000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf("Merkle benchmark: %s, %s %s, %d cores, leaf %d bytes%n", System.getProperty("java.vm.name"),
        System.getProperty("java.version"), System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(), LEAF_BYTES);
    System.out.println();
    System.out.println("| leaves | raw leaves (ms) | raw same work (ms) | tree from data (ms) | tree / raw same work | tree / raw leaves | tree from leaf hashes (ms) | proof (µs) | verify (µs) |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int n : sizes) {
      run(n);
    }
  }

  private static void run(int n) throws Exception {
    SplittableRandom random = new SplittableRandom(42);
    List<byte[]> data = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] leaf = new byte[LEAF_BYTES];
      random.nextBytes(leaf);
      data.add(leaf);
    }
    byte[] leafHashes = new byte[n * 32];
    for (int i = 0; i < n; i++) {
      System.arraycopy(MerkleHashing.leafHash(data.get(i)), 0, leafHashes, i * 32, 32);
    }
    int rounds = n >= 1_000_000 ? 7 : n >= 100_000 ? 11 : 31;
    int warmup = n >= 1_000_000 ? 3 : 10;
    long[] rawLeaves = new long[rounds];
    long[] rawSame = new long[rounds];
    long[] tree = new long[rounds];
    long[] rebuild = new long[rounds];
    long[] proof = new long[rounds];
    long[] verify = new long[rounds];
    long sink = 0;
    MerkleTree built = null;
    for (int round = -warmup; round < rounds; round++) {
      long t0 = System.nanoTime();
      sink += rawLeafHashing(data);
      long t1 = System.nanoTime();
      sink += rawSameWork(data);
      long t2 = System.nanoTime();
      built = MerkleTree.ofLeafData(data);
      long t3 = System.nanoTime();
      MerkleTree rebuilt = MerkleTree.ofConcatenatedLeafHashes(leafHashes.clone(), n);
      long t4 = System.nanoTime();
      sink += built.root()[0] + rebuilt.root()[1];
      InclusionProof[] proofs = new InclusionProof[PROOFS_PER_ROUND];
      int[] indices = new int[PROOFS_PER_ROUND];
      for (int i = 0; i < PROOFS_PER_ROUND; i++) {
        indices[i] = random.nextInt(n);
      }
      long t5 = System.nanoTime();
      for (int i = 0; i < PROOFS_PER_ROUND; i++) {
        proofs[i] = built.proof(indices[i]);
      }
      long t6 = System.nanoTime();
      byte[] root = built.root();
      int verified = 0;
      for (int i = 0; i < PROOFS_PER_ROUND; i++) {
        verified += MerkleVerifier.verifyInclusion(built.leafHash(indices[i]), proofs[i], root) ? 1 : 0;
      }
      long t7 = System.nanoTime();
      if (verified != PROOFS_PER_ROUND) {
        throw new IllegalStateException("a proof did not verify");
      }
      if (round >= 0) {
        rawLeaves[round] = t1 - t0;
        rawSame[round] = t2 - t1;
        tree[round] = t3 - t2;
        rebuild[round] = t4 - t3;
        proof[round] = (t6 - t5) / PROOFS_PER_ROUND;
        verify[round] = (t7 - t6) / PROOFS_PER_ROUND;
      }
    }
    double rawLeavesMs = median(rawLeaves) / 1e6;
    double rawSameMs = median(rawSame) / 1e6;
    double treeMs = median(tree) / 1e6;
    System.out.printf("| %,d | %.2f | %.2f | %.2f | %.2f× | %.2f× | %.2f | %.2f | %.2f |%n", n, rawLeavesMs, rawSameMs,
        treeMs, treeMs / rawSameMs, treeMs / rawLeavesMs, median(rebuild) / 1e6, median(proof) / 1e3,
        median(verify) / 1e3);
    if (sink == 42) {
      System.out.println(); // keeps the JIT from discarding the work
    }
  }

  /** n × SHA-256(0x00 || data): just the leaf hashes. */
  private static long rawLeafHashing(List<byte[]> data) throws DigestException {
    MessageDigest sha256 = sha256();
    byte[] out = new byte[32];
    long sink = 0;
    for (byte[] leaf : data) {
      sha256.update((byte) 0);
      sha256.update(leaf);
      sha256.digest(out, 0, 32);
      sink += out[0];
    }
    return sink;
  }

  /** The same SHA-256 calls as a tree of these leaves: n over 1+data bytes, n-1 over 65 bytes. */
  private static long rawSameWork(List<byte[]> data) throws DigestException {
    MessageDigest sha256 = sha256();
    byte[] out = new byte[32];
    byte[] node = new byte[64];
    long sink = 0;
    for (byte[] leaf : data) {
      sha256.update((byte) 0);
      sha256.update(leaf);
      sha256.digest(out, 0, 32);
      sink += out[0];
    }
    for (int i = 0; i < data.size() - 1; i++) {
      sha256.update((byte) 1);
      sha256.update(node, 0, 64);
      sha256.digest(node, i & 32, 32);
      sink += node[0];
    }
    return sink;
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
