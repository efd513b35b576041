package com.rendertrust.server.ledger.anchor;

import static com.rendertrust.server.db.Tables.ANCHOR_BATCHES;
import static com.rendertrust.server.db.Tables.ANCHOR_CONTRACTS;
import static com.rendertrust.server.db.Tables.ANCHOR_TRANSACTIONS;

import com.rendertrust.server.db.tables.records.AnchorBatchesRecord;
import com.rendertrust.server.ledger.anchor.ChainClient.SignedTransaction;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * Anchor batches and their transactions in PostgreSQL. Every state change is a compare-and-set on
 * the current status (and, where it matters, the block), so a stale worker can never move a batch
 * backwards or twice; a change that lost the race reports false and changes nothing.
 */
public final class AnchorRepository {

  private static final int MAX_ERROR_LENGTH = 500;
  /** Everything but the leaf hashes, which only proofs need (a large batch carries megabytes of them). */
  private static final List<Field<?>> BATCH_FIELDS = Arrays.stream(ANCHOR_BATCHES.fields())
      .filter(field -> !field.equals(ANCHOR_BATCHES.LEAF_HASHES))
      .toList();

  private final DSLContext dsl;

  public AnchorRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Inserts a sealed batch in the caller's transaction and returns its id. */
  public long insertBatch(DSLContext tx, byte[] merkleRoot, byte[] leafHashes, int entryCount, long firstSequence,
      long lastSequence, Instant createdAt) {
    return tx.insertInto(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.MERKLE_ROOT, merkleRoot)
        .set(ANCHOR_BATCHES.LEAF_HASHES, leafHashes)
        .set(ANCHOR_BATCHES.ENTRY_COUNT, entryCount)
        .set(ANCHOR_BATCHES.FIRST_SEQUENCE, firstSequence)
        .set(ANCHOR_BATCHES.LAST_SEQUENCE, lastSequence)
        .set(ANCHOR_BATCHES.STATUS, AnchorStatus.PENDING.name())
        .set(ANCHOR_BATCHES.CREATED_AT, utc(createdAt))
        .returning(ANCHOR_BATCHES.ID)
        .fetchSingle(ANCHOR_BATCHES.ID);
  }

  public Optional<AnchorBatch> find(long id) {
    return dsl.select(BATCH_FIELDS).from(ANCHOR_BATCHES).where(ANCHOR_BATCHES.ID.eq(id))
        .fetchOptional().map(AnchorRepository::batch);
  }

  /** The batch's leaf hashes, 32 bytes each, end to end in leaf order. */
  public Optional<byte[]> leafHashes(long id) {
    return dsl.select(ANCHOR_BATCHES.LEAF_HASHES).from(ANCHOR_BATCHES).where(ANCHOR_BATCHES.ID.eq(id))
        .fetchOptional(ANCHOR_BATCHES.LEAF_HASHES);
  }

  /** Batches whose anchor is not final yet, oldest first (the order they are anchored in). */
  public List<AnchorBatch> unfinished() {
    return dsl.select(BATCH_FIELDS).from(ANCHOR_BATCHES)
        .where(ANCHOR_BATCHES.STATUS.ne(AnchorStatus.FINAL.name()))
        .orderBy(ANCHOR_BATCHES.ID)
        .fetch(AnchorRepository::batch);
  }

  /** One page of batches created at or after {@code since}, newest first. */
  public AnchorPage page(int page, int perPage, Optional<Instant> since) {
    Condition filter = since.map(s -> ANCHOR_BATCHES.CREATED_AT.ge(utc(s))).orElse(DSL.noCondition());
    int count = dsl.fetchCount(ANCHOR_BATCHES, filter);
    List<AnchorBatch> rows = dsl.select(BATCH_FIELDS).from(ANCHOR_BATCHES)
        .where(filter)
        .orderBy(ANCHOR_BATCHES.ID.desc())
        .limit(perPage)
        .offset((long) (page - 1) * perPage)
        .fetch(AnchorRepository::batch);
    return new AnchorPage(rows, count, page, perPage);
  }

  public List<AnchorAttempt> attempts(long batchId) {
    return dsl.selectFrom(ANCHOR_TRANSACTIONS)
        .where(ANCHOR_TRANSACTIONS.BATCH_ID.eq(batchId))
        .orderBy(ANCHOR_TRANSACTIONS.CREATED_AT, ANCHOR_TRANSACTIONS.NONCE, ANCHOR_TRANSACTIONS.GAS_PRICE)
        .fetch(r -> new AnchorAttempt(r.getTxHash(), r.getBatchId(), r.getNonce(), r.getGasPrice(), r.getRaw(),
            r.getCreatedAt().toInstant()));
  }

  /**
   * PENDING -> SUBMITTED with the signed transaction, both in one commit that happens BEFORE the
   * broadcast: whatever crashes afterwards, the exact bytes to resend are on disk.
   */
  public boolean recordFirstAttempt(long batchId, SignedTransaction tx, ChainIdentity chain, String contract,
      Instant now) {
    return dsl.transactionResult(cfg -> {
      DSLContext t = DSL.using(cfg);
      int updated = t.update(ANCHOR_BATCHES)
          .set(ANCHOR_BATCHES.STATUS, AnchorStatus.SUBMITTED.name())
          .set(ANCHOR_BATCHES.TX_HASH, tx.hash())
          .set(ANCHOR_BATCHES.CHAIN_ID, chain.chainId())
          .set(ANCHOR_BATCHES.GENESIS_HASH, chain.genesisHash())
          .set(ANCHOR_BATCHES.CONTRACT_ADDRESS, contract)
          .set(ANCHOR_BATCHES.SUBMITTED_AT, utc(now))
          .setNull(ANCHOR_BATCHES.LAST_ERROR)
          .where(ANCHOR_BATCHES.ID.eq(batchId).and(ANCHOR_BATCHES.STATUS.eq(AnchorStatus.PENDING.name())))
          .execute();
      if (updated == 1) {
        insertAttempt(t, batchId, tx, now);
      }
      return updated == 1;
    });
  }

  /** A further transaction for a SUBMITTED batch (fee bump with the same nonce, or a fresh nonce), recorded before broadcast. */
  public boolean recordReplacement(long batchId, String replacedTxHash, SignedTransaction tx, Instant now) {
    return dsl.transactionResult(cfg -> {
      DSLContext t = DSL.using(cfg);
      int updated = t.update(ANCHOR_BATCHES)
          .set(ANCHOR_BATCHES.TX_HASH, tx.hash())
          .where(ANCHOR_BATCHES.ID.eq(batchId)
              .and(ANCHOR_BATCHES.STATUS.eq(AnchorStatus.SUBMITTED.name()))
              .and(ANCHOR_BATCHES.TX_HASH.eq(replacedTxHash)))
          .execute();
      if (updated == 1) {
        insertAttempt(t, batchId, tx, now);
      }
      return updated == 1;
    });
  }

  private static void insertAttempt(DSLContext t, long batchId, SignedTransaction tx, Instant now) {
    t.insertInto(ANCHOR_TRANSACTIONS)
        .set(ANCHOR_TRANSACTIONS.TX_HASH, tx.hash())
        .set(ANCHOR_TRANSACTIONS.BATCH_ID, batchId)
        .set(ANCHOR_TRANSACTIONS.NONCE, tx.nonce())
        .set(ANCHOR_TRANSACTIONS.GAS_PRICE, tx.gasPrice())
        .set(ANCHOR_TRANSACTIONS.RAW, tx.raw())
        .set(ANCHOR_TRANSACTIONS.CREATED_AT, utc(now))
        .execute();
  }

  /**
   * PENDING or SUBMITTED -> INCLUDED: this transaction (ours, or one found on chain carrying our
   * root) is mined in this block.
   */
  public boolean markIncluded(long batchId, String txHash, long blockNumber, String blockHash, ChainIdentity chain,
      String contract, Instant now) {
    return dsl.update(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.STATUS, AnchorStatus.INCLUDED.name())
        .set(ANCHOR_BATCHES.TX_HASH, txHash)
        .set(ANCHOR_BATCHES.BLOCK_NUMBER, blockNumber)
        .set(ANCHOR_BATCHES.BLOCK_HASH, blockHash)
        .set(ANCHOR_BATCHES.CHAIN_ID, DSL.coalesce(ANCHOR_BATCHES.CHAIN_ID, DSL.val(chain.chainId())))
        .set(ANCHOR_BATCHES.GENESIS_HASH, DSL.coalesce(ANCHOR_BATCHES.GENESIS_HASH, DSL.val(chain.genesisHash())))
        .set(ANCHOR_BATCHES.CONTRACT_ADDRESS, DSL.coalesce(ANCHOR_BATCHES.CONTRACT_ADDRESS, DSL.val(contract)))
        .set(ANCHOR_BATCHES.SUBMITTED_AT, DSL.coalesce(ANCHOR_BATCHES.SUBMITTED_AT, DSL.val(utc(now))))
        .setNull(ANCHOR_BATCHES.LAST_ERROR)
        .where(ANCHOR_BATCHES.ID.eq(batchId)
            .and(ANCHOR_BATCHES.STATUS.in(AnchorStatus.PENDING.name(), AnchorStatus.SUBMITTED.name())))
        .execute() == 1;
  }

  /** INCLUDED -> SUBMITTED: the block that held the transaction is no longer canonical (reorg). */
  public boolean markReorged(long batchId, String staleBlockHash, String reason) {
    return dsl.update(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.STATUS, AnchorStatus.SUBMITTED.name())
        .setNull(ANCHOR_BATCHES.BLOCK_NUMBER)
        .setNull(ANCHOR_BATCHES.BLOCK_HASH)
        .set(ANCHOR_BATCHES.LAST_ERROR, truncate(reason))
        .where(ANCHOR_BATCHES.ID.eq(batchId)
            .and(ANCHOR_BATCHES.STATUS.eq(AnchorStatus.INCLUDED.name()))
            .and(ANCHOR_BATCHES.BLOCK_HASH.eq(staleBlockHash)))
        .execute() == 1;
  }

  /** INCLUDED -> FINAL, only if still included in the block that was checked. */
  public boolean markFinal(long batchId, String blockHash, Instant now) {
    return dsl.update(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.STATUS, AnchorStatus.FINAL.name())
        .set(ANCHOR_BATCHES.ANCHORED_AT, utc(now))
        .setNull(ANCHOR_BATCHES.LAST_ERROR)
        .where(ANCHOR_BATCHES.ID.eq(batchId)
            .and(ANCHOR_BATCHES.STATUS.eq(AnchorStatus.INCLUDED.name()))
            .and(ANCHOR_BATCHES.BLOCK_HASH.eq(blockHash)))
        .execute() == 1;
  }

  /** SUBMITTED -> PENDING: the mined transaction reverted and the contract holds no root, so a new one is needed. */
  public boolean markReverted(long batchId, String txHash, String reason) {
    return dsl.update(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.STATUS, AnchorStatus.PENDING.name())
        .setNull(ANCHOR_BATCHES.TX_HASH)
        .set(ANCHOR_BATCHES.LAST_ERROR, truncate(reason))
        .where(ANCHOR_BATCHES.ID.eq(batchId)
            .and(ANCHOR_BATCHES.STATUS.eq(AnchorStatus.SUBMITTED.name()))
            .and(ANCHOR_BATCHES.TX_HASH.eq(txHash)))
        .execute() == 1;
  }

  /** Remembers why the batch did not advance, for operators (shown nowhere else). */
  public void recordError(long batchId, String reason) {
    dsl.update(ANCHOR_BATCHES)
        .set(ANCHOR_BATCHES.LAST_ERROR, truncate(reason))
        .where(ANCHOR_BATCHES.ID.eq(batchId))
        .execute();
  }

  public Optional<String> deployedContract(long chainId, String genesisHash) {
    return dsl.select(ANCHOR_CONTRACTS.CONTRACT_ADDRESS).from(ANCHOR_CONTRACTS)
        .where(ANCHOR_CONTRACTS.CHAIN_ID.eq(chainId).and(ANCHOR_CONTRACTS.GENESIS_HASH.eq(genesisHash)))
        .fetchOptional(ANCHOR_CONTRACTS.CONTRACT_ADDRESS);
  }

  /** Records (or replaces, if it vanished from that chain) the contract this server deployed on a chain. */
  public void saveDeployedContract(long chainId, String genesisHash, String contract, String deployTxHash, Instant now) {
    dsl.insertInto(ANCHOR_CONTRACTS)
        .set(ANCHOR_CONTRACTS.CHAIN_ID, chainId)
        .set(ANCHOR_CONTRACTS.GENESIS_HASH, genesisHash)
        .set(ANCHOR_CONTRACTS.CONTRACT_ADDRESS, contract)
        .set(ANCHOR_CONTRACTS.DEPLOY_TX_HASH, deployTxHash)
        .set(ANCHOR_CONTRACTS.CREATED_AT, utc(now))
        .onConflict(ANCHOR_CONTRACTS.CHAIN_ID, ANCHOR_CONTRACTS.GENESIS_HASH)
        .doUpdate()
        .set(ANCHOR_CONTRACTS.CONTRACT_ADDRESS, contract)
        .set(ANCHOR_CONTRACTS.DEPLOY_TX_HASH, deployTxHash)
        .set(ANCHOR_CONTRACTS.CREATED_AT, utc(now))
        .execute();
  }

  private static AnchorBatch batch(Record record) {
    AnchorBatchesRecord r = record.into(ANCHOR_BATCHES);
    return new AnchorBatch(
        r.getId(),
        r.getMerkleRoot(),
        r.getEntryCount(),
        r.getFirstSequence(),
        r.getLastSequence(),
        AnchorStatus.valueOf(r.getStatus()),
        Optional.ofNullable(r.getChainId()),
        Optional.ofNullable(r.getGenesisHash()),
        Optional.ofNullable(r.getContractAddress()),
        Optional.ofNullable(r.getTxHash()),
        Optional.ofNullable(r.getBlockNumber()),
        Optional.ofNullable(r.getBlockHash()),
        Optional.ofNullable(r.getLastError()),
        r.getCreatedAt().toInstant(),
        Optional.ofNullable(r.getSubmittedAt()).map(OffsetDateTime::toInstant),
        Optional.ofNullable(r.getAnchoredAt()).map(OffsetDateTime::toInstant));
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  /** What {@code last_error} keeps of a reason. */
  static String truncate(String reason) {
    return reason.length() <= MAX_ERROR_LENGTH ? reason : reason.substring(0, MAX_ERROR_LENGTH);
  }
}
