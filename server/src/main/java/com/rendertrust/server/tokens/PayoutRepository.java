package com.rendertrust.server.tokens;

import static com.rendertrust.server.db.Tables.PAYOUTS;

import com.rendertrust.server.db.tables.records.PayoutsRecord;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The {@code payouts} table of V16_2 (owner: this feature). */
final class PayoutRepository {

  /** A payout row. {@code raw} is the signed transfer exactly as (re)broadcast. */
  record Payout(UUID id, UUID operatorId, String referenceId, long amountUnits, BigInteger tokenAmount,
      String wallet, String status, Optional<String> txHash, Optional<Long> nonce, Optional<byte[]> raw,
      Instant createdAt) {
  }

  /** Serialises creations with one (operator, reference) until the transaction ends. */
  void lockReference(DSLContext tx, UUID operatorId, String referenceId) {
    tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 19))", Object.class,
        DSL.val(operatorId + "/" + referenceId))).fetch();
  }

  Optional<Payout> findByReference(DSLContext dsl, UUID operatorId, String referenceId) {
    return dsl.selectFrom(PAYOUTS).where(PAYOUTS.OPERATOR_ID.eq(operatorId), PAYOUTS.REFERENCE_ID.eq(referenceId))
        .fetchOptional(PayoutRepository::toPayout);
  }

  void insert(DSLContext tx, UUID id, UUID operatorId, String referenceId, long amountUnits, BigInteger tokenAmount,
      String wallet) {
    tx.insertInto(PAYOUTS)
        .set(PAYOUTS.ID, id)
        .set(PAYOUTS.OPERATOR_ID, operatorId)
        .set(PAYOUTS.REFERENCE_ID, referenceId)
        .set(PAYOUTS.AMOUNT, amountUnits)
        .set(PAYOUTS.TOKEN_AMOUNT, tokenAmount)
        .set(PAYOUTS.WALLET_ADDRESS, wallet)
        .execute();
  }

  Optional<Payout> find(DSLContext dsl, UUID id) {
    return dsl.selectFrom(PAYOUTS).where(PAYOUTS.ID.eq(id)).fetchOptional(PayoutRepository::toPayout);
  }

  /** The row, locked, if it still has {@code status}. */
  Optional<Payout> lock(DSLContext tx, UUID id, String status) {
    return tx.selectFrom(PAYOUTS).where(PAYOUTS.ID.eq(id), PAYOUTS.STATUS.eq(status)).forUpdate()
        .fetchOptional(PayoutRepository::toPayout);
  }

  /** Open payouts with {@code status}, oldest first. */
  List<Payout> withStatus(DSLContext dsl, String status) {
    return dsl.selectFrom(PAYOUTS).where(PAYOUTS.STATUS.eq(status)).orderBy(PAYOUTS.CREATED_AT, PAYOUTS.ID)
        .fetch(PayoutRepository::toPayout);
  }

  /** Records the signed transfer and SUBMITTED, before anything is broadcast. */
  void recordSigned(DSLContext tx, UUID id, String txHash, long nonce, byte[] raw) {
    tx.update(PAYOUTS)
        .set(PAYOUTS.STATUS, "SUBMITTED")
        .set(PAYOUTS.TX_HASH, txHash)
        .set(PAYOUTS.NONCE, nonce)
        .set(PAYOUTS.RAW_TX, raw)
        .set(PAYOUTS.UPDATED_AT, now())
        .where(PAYOUTS.ID.eq(id), PAYOUTS.STATUS.eq("PENDING"))
        .execute();
  }

  void finish(DSLContext tx, UUID id, String status, Optional<Long> blockNumber, Optional<String> error) {
    tx.update(PAYOUTS)
        .set(PAYOUTS.STATUS, status)
        .set(PAYOUTS.BLOCK_NUMBER, blockNumber.orElse(null))
        .set(PAYOUTS.LAST_ERROR, error.map(e -> e.length() > 500 ? e.substring(0, 500) : e).orElse(null))
        .set(PAYOUTS.UPDATED_AT, now())
        .where(PAYOUTS.ID.eq(id))
        .execute();
  }

  List<Payout> listOf(DSLContext dsl, UUID operatorId, int limit, int offset) {
    return dsl.selectFrom(PAYOUTS).where(PAYOUTS.OPERATOR_ID.eq(operatorId))
        .orderBy(PAYOUTS.CREATED_AT.desc(), PAYOUTS.ID.desc()).limit(limit).offset(offset)
        .fetch(PayoutRepository::toPayout);
  }

  int countOf(DSLContext dsl, UUID operatorId) {
    return dsl.fetchCount(PAYOUTS, PAYOUTS.OPERATOR_ID.eq(operatorId));
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }

  private static Payout toPayout(PayoutsRecord row) {
    return new Payout(row.getId(), row.getOperatorId(), row.getReferenceId(), row.getAmount(), row.getTokenAmount(),
        row.getWalletAddress(), row.getStatus(), Optional.ofNullable(row.getTxHash()),
        Optional.ofNullable(row.getNonce()), Optional.ofNullable(row.getRawTx()), row.getCreatedAt().toInstant());
  }
}
