package com.rendertrust.server.ledger;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.LEDGER_ENTRY_BATCHES;

import com.rendertrust.server.ledger.anchor.AnchorBatch;
import com.rendertrust.server.ledger.anchor.AnchorRepository;
import com.rendertrust.server.ledger.anchor.AnchorStatus;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.ledger.anchor.ChainRpcException;
import com.rendertrust.server.ledger.anchor.ChainUnavailableException;
import com.rendertrust.server.ledger.merkle.InclusionProof;
import com.rendertrust.server.ledger.merkle.MerkleTree;
import com.rendertrust.server.ledger.merkle.MerkleVerifier;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * Inclusion proofs of a user's ledger entries and their verification against the chain.
 *
 * <p>A proof comes from the sealed batch alone (its stored leaf hashes; built trees are cached,
 * sealed batches never change). {@code verify} trusts nothing stored about the entry: it
 * recomputes the leaf from the entry's current row, folds it with the proof path into a root and
 * compares that with the root the contract returns for the batch right now.
 */
public final class LedgerProofService {

  /** Trees of recently asked batches; a 1000-leaf tree is ~64 KB. */
  private static final int CACHED_TREES = 32;

  /** One entry's proof, as GET /ledger/{id}/proof shows it. */
  public record EntryProof(UUID entryId, byte[] leaf, byte[] merkleRoot, InclusionProof proof,
      Optional<String> anchorTxHash, Optional<Long> blockNumber) {
  }

  /** The outcome of GET /ledger/{id}/verify. */
  public record EntryVerification(boolean verified, UUID entryId, byte[] recomputedRoot, Optional<byte[]> onChainRoot,
      Optional<Long> blockNumber, Optional<String> txHash) {
  }

  private record Located(LedgerLeaf currentLeaf, AnchorBatch batch, int leafIndex) {
  }

  private final DSLContext dsl;
  private final AnchorRepository anchors;
  private final Optional<ChainClient> chain;
  private final Map<Long, MerkleTree> trees = new LinkedHashMap<>(CACHED_TREES, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, MerkleTree> eldest) {
      return size() > CACHED_TREES;
    }
  };

  public LedgerProofService(DSLContext dsl, AnchorRepository anchors, Optional<ChainClient> chain) {
    this.dsl = dsl;
    this.anchors = anchors;
    this.chain = chain;
  }

  /** 404 for a missing or someone else's entry; 409 NOT_ANCHORED until its batch is FINAL. */
  public EntryProof proof(UUID caller, String entryId) {
    Located located = locate(caller, entryId);
    MerkleTree tree = tree(located.batch());
    return new EntryProof(located.currentLeaf().entryId(), tree.leafHash(located.leafIndex()), tree.root(),
        tree.proof(located.leafIndex()), located.batch().txHash(), located.batch().blockNumber());
  }

  /** As {@link #proof}, plus 503 DEPENDENCY_UNAVAILABLE when the chain cannot be read. */
  public EntryVerification verify(UUID caller, String entryId) {
    Located located = locate(caller, entryId);
    AnchorBatch batch = located.batch();
    InclusionProof proof = tree(batch).proof(located.leafIndex());
    byte[] recomputed = MerkleVerifier.rootFromPath(located.currentLeaf().leafHash(), proof.siblings(),
        proof.directions());
    Optional<byte[]> onChain = onChainRoot(batch);
    boolean verified = onChain.isPresent() && Arrays.equals(recomputed, onChain.get());
    return new EntryVerification(verified, located.currentLeaf().entryId(), recomputed, onChain, batch.blockNumber(),
        batch.txHash());
  }

  private Optional<byte[]> onChainRoot(AnchorBatch batch) {
    ChainClient client = chain.orElseThrow(() -> DomainException.unavailable(
        "the chain is not configured on this server, so the anchored root cannot be read"));
    String contract = batch.contractAddress().orElseThrow(() -> new IllegalStateException(
        "final batch " + batch.id() + " has no contract address"));
    try {
      return client.rootOf(contract, batch.id());
    } catch (ChainUnavailableException | ChainRpcException e) {
      throw DomainException.unavailable("the chain did not answer; try again later");
    }
  }

  private Located locate(UUID caller, String entryId) {
    UUID id = Ids.parse(entryId).orElseThrow(LedgerProofService::notFound);
    Record row = LedgerLeafRows.select(dsl, List.of(LEDGER_ENTRY_BATCHES.BATCH_ID, LEDGER_ENTRY_BATCHES.LEAF_INDEX))
        .leftJoin(LEDGER_ENTRY_BATCHES).on(LEDGER_ENTRY_BATCHES.ENTRY_ID.eq(CREDIT_ENTRIES.ID))
        .where(CREDIT_ENTRIES.ID.eq(id).and(CREDIT_ACCOUNTS.OWNER_ID.eq(caller)))
        .fetchOptional()
        .orElseThrow(LedgerProofService::notFound);
    LedgerLeaf leaf = LedgerLeafRows.leaf(row);
    Long batchId = row.get(LEDGER_ENTRY_BATCHES.BATCH_ID);
    if (batchId == null) {
      throw new DomainException(Reason.NOT_ANCHORED,
          "ledger entry not anchored yet: it is not sealed into a batch yet (batches are sealed periodically); try again later");
    }
    AnchorBatch batch = anchors.find(batchId).orElseThrow();
    if (batch.status() != AnchorStatus.FINAL) {
      throw new DomainException(Reason.NOT_ANCHORED, "ledger entry not anchored yet: its batch " + batchId + " is "
          + batch.status() + ", not FINAL on chain; try again later", Map.of("batch_id", Long.toString(batchId)));
    }
    return new Located(leaf, batch, row.get(LEDGER_ENTRY_BATCHES.LEAF_INDEX));
  }

  private MerkleTree tree(AnchorBatch batch) {
    synchronized (trees) {
      MerkleTree cached = trees.get(batch.id());
      if (cached != null) {
        return cached;
      }
    }
    byte[] leaves = anchors.leafHashes(batch.id()).orElseThrow();
    MerkleTree tree = MerkleTree.ofConcatenatedLeafHashes(leaves, batch.entryCount());
    if (!Arrays.equals(tree.root(), batch.merkleRoot())) {
      throw new IllegalStateException("stored leaf hashes of batch " + batch.id() + " do not match its root");
    }
    synchronized (trees) {
      trees.put(batch.id(), tree);
    }
    return tree;
  }

  private static DomainException notFound() {
    return DomainException.notFound("ledger entry");
  }
}
