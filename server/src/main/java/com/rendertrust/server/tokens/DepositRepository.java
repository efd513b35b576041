package com.rendertrust.server.tokens;

import static com.rendertrust.server.db.Tables.DEPOSITS;
import static com.rendertrust.server.db.Tables.DEPOSIT_CURSORS;
import static com.rendertrust.server.db.Tables.DEPOSIT_REFERENCES;

import com.rendertrust.server.db.tables.records.DepositsRecord;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.jooq.DSLContext;

/** The deposit tables of V16_1 (owner: this feature): references, the cursor, the deposits seen. */
final class DepositRepository {

  /** A recorded {@code Deposit} log. */
  record Deposit(String txHash, long logIndex, long blockNumber, String blockHash, String reference,
      String from, BigInteger tokenAmount, Optional<UUID> userId, OptionalLong creditUnits, String status,
      Instant createdAt) {
  }

  private final SecureRandom random = new SecureRandom();

  /** The user's deposit reference (0x and 64 hex digits), made on first use. */
  String referenceOf(DSLContext dsl, UUID userId) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    dsl.insertInto(DEPOSIT_REFERENCES)
        .set(DEPOSIT_REFERENCES.USER_ID, userId)
        .set(DEPOSIT_REFERENCES.REFERENCE, "0x" + HexFormat.of().formatHex(bytes))
        .onConflict(DEPOSIT_REFERENCES.USER_ID).doNothing()
        .execute();
    return dsl.select(DEPOSIT_REFERENCES.REFERENCE).from(DEPOSIT_REFERENCES)
        .where(DEPOSIT_REFERENCES.USER_ID.eq(userId)).fetchSingle().value1();
  }

  Optional<UUID> ownerOf(DSLContext dsl, String reference) {
    return dsl.select(DEPOSIT_REFERENCES.USER_ID).from(DEPOSIT_REFERENCES)
        .where(DEPOSIT_REFERENCES.REFERENCE.eq(reference)).fetchOptional().map(r -> r.value1());
  }

  OptionalLong cursor(DSLContext dsl, String depositContract) {
    return dsl.select(DEPOSIT_CURSORS.NEXT_BLOCK).from(DEPOSIT_CURSORS)
        .where(DEPOSIT_CURSORS.DEPOSIT_CONTRACT.eq(depositContract)).fetchOptional()
        .map(r -> OptionalLong.of(r.value1())).orElse(OptionalLong.empty());
  }

  void setCursor(DSLContext tx, String depositContract, long nextBlock) {
    tx.insertInto(DEPOSIT_CURSORS)
        .set(DEPOSIT_CURSORS.DEPOSIT_CONTRACT, depositContract)
        .set(DEPOSIT_CURSORS.NEXT_BLOCK, nextBlock)
        .onConflict(DEPOSIT_CURSORS.DEPOSIT_CONTRACT).doUpdate()
        .set(DEPOSIT_CURSORS.NEXT_BLOCK, nextBlock)
        .set(DEPOSIT_CURSORS.UPDATED_AT, OffsetDateTime.now(ZoneOffset.UTC))
        .execute();
  }

  /**
   * Records a log once per (tx hash, log index). Seen again in another block (re-mined after a
   * reorg), an unsettled or REORGED row takes the new block and is PENDING again; settled rows
   * never change.
   */
  void record(DSLContext tx, String depositContract, long blockNumber, String blockHash, String txHash,
      long logIndex, TokenContracts.DepositLog log) {
    tx.insertInto(DEPOSITS)
        .set(DEPOSITS.TX_HASH, txHash)
        .set(DEPOSITS.LOG_INDEX, logIndex)
        .set(DEPOSITS.DEPOSIT_CONTRACT, depositContract)
        .set(DEPOSITS.BLOCK_NUMBER, blockNumber)
        .set(DEPOSITS.BLOCK_HASH, blockHash)
        .set(DEPOSITS.REFERENCE, log.reference())
        .set(DEPOSITS.FROM_ADDRESS, log.from())
        .set(DEPOSITS.TOKEN_AMOUNT, log.amount())
        .onConflict(DEPOSITS.TX_HASH, DEPOSITS.LOG_INDEX).doUpdate()
        .set(DEPOSITS.BLOCK_NUMBER, blockNumber)
        .set(DEPOSITS.BLOCK_HASH, blockHash)
        .set(DEPOSITS.STATUS, "PENDING")
        .where(DEPOSITS.STATUS.in("PENDING", "REORGED"), DEPOSITS.BLOCK_HASH.ne(blockHash))
        .execute();
  }

  /** PENDING deposits of {@code depositContract} in blocks up to {@code throughBlock}, oldest first. */
  List<Deposit> pendingThrough(DSLContext dsl, String depositContract, long throughBlock) {
    return dsl.selectFrom(DEPOSITS)
        .where(DEPOSITS.STATUS.eq("PENDING"), DEPOSITS.DEPOSIT_CONTRACT.eq(depositContract),
            DEPOSITS.BLOCK_NUMBER.le(throughBlock))
        .orderBy(DEPOSITS.BLOCK_NUMBER, DEPOSITS.LOG_INDEX)
        .fetch(DepositRepository::toDeposit);
  }

  /** The row, locked, if it is still PENDING in the block it was seen in. */
  Optional<Deposit> lockPending(DSLContext tx, String txHash, long logIndex, String blockHash) {
    return tx.selectFrom(DEPOSITS)
        .where(DEPOSITS.TX_HASH.eq(txHash), DEPOSITS.LOG_INDEX.eq(logIndex), DEPOSITS.STATUS.eq("PENDING"),
            DEPOSITS.BLOCK_HASH.eq(blockHash))
        .forUpdate()
        .fetchOptional(DepositRepository::toDeposit);
  }

  void settle(DSLContext tx, String txHash, long logIndex, String status, Optional<UUID> userId,
      OptionalLong creditUnits, Optional<UUID> entryId) {
    tx.update(DEPOSITS)
        .set(DEPOSITS.STATUS, status)
        .set(DEPOSITS.USER_ID, userId.orElse(null))
        .set(DEPOSITS.CREDITS, creditUnits.isPresent() ? creditUnits.getAsLong() : null)
        .set(DEPOSITS.CREDIT_ENTRY_ID, entryId.orElse(null))
        .set(DEPOSITS.SETTLED_AT, OffsetDateTime.now(ZoneOffset.UTC))
        .where(DEPOSITS.TX_HASH.eq(txHash), DEPOSITS.LOG_INDEX.eq(logIndex))
        .execute();
  }

  /** The deposits to the user's reference, newest first (unknown references belong to no one). */
  List<Deposit> listOf(DSLContext dsl, UUID userId, int limit, int offset) {
    return dsl.selectFrom(DEPOSITS)
        .where(DEPOSITS.REFERENCE.eq(dsl.select(DEPOSIT_REFERENCES.REFERENCE).from(DEPOSIT_REFERENCES)
            .where(DEPOSIT_REFERENCES.USER_ID.eq(userId))))
        .orderBy(DEPOSITS.BLOCK_NUMBER.desc(), DEPOSITS.LOG_INDEX.desc())
        .limit(limit).offset(offset)
        .fetch(DepositRepository::toDeposit);
  }

  int countOf(DSLContext dsl, UUID userId) {
    return dsl.fetchCount(DEPOSITS, DEPOSITS.REFERENCE.eq(dsl.select(DEPOSIT_REFERENCES.REFERENCE)
        .from(DEPOSIT_REFERENCES).where(DEPOSIT_REFERENCES.USER_ID.eq(userId))));
  }

  private static Deposit toDeposit(DepositsRecord row) {
    return new Deposit(row.getTxHash(), row.getLogIndex(), row.getBlockNumber(), row.getBlockHash(),
        row.getReference(), row.getFromAddress(), row.getTokenAmount(),
        Optional.ofNullable(row.getUserId()),
        row.getCredits() == null ? OptionalLong.empty() : OptionalLong.of(row.getCredits()), row.getStatus(),
        row.getCreatedAt().toInstant());
  }
}
