package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.SIWE_NONCES;
import static com.rendertrust.server.db.Tables.WALLETS;

import com.rendertrust.server.db.tables.records.SiweNoncesRecord;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The {@code wallets} and {@code siwe_nonces} tables (owner: the identity feature). Addresses in lower case. */
final class WalletRepository {

  /** A linked wallet: lower-case address, owner, link time. */
  record LinkedWallet(String address, UUID userId, Instant createdAt) {
  }

  /** An issued sign-in message. */
  record IssuedNonce(String nonce, String address, String message, Instant expiresAt, Optional<Instant> usedAt) {
  }

  void insertNonce(DSLContext dsl, String nonce, String address, String message, Instant issuedAt,
      Instant expiresAt) {
    dsl.insertInto(SIWE_NONCES)
        .set(SIWE_NONCES.NONCE, nonce)
        .set(SIWE_NONCES.ADDRESS, address)
        .set(SIWE_NONCES.MESSAGE, message)
        .set(SIWE_NONCES.ISSUED_AT, utc(issuedAt))
        .set(SIWE_NONCES.EXPIRES_AT, utc(expiresAt))
        .execute();
  }

  /** The nonce's row, locked until the caller's transaction ends (so two verifications of one nonce queue). */
  Optional<IssuedNonce> lockNonce(DSLContext tx, String nonce) {
    return tx.selectFrom(SIWE_NONCES).where(SIWE_NONCES.NONCE.eq(nonce)).forUpdate().fetchOptional()
        .map(WalletRepository::toNonce);
  }

  void markUsed(DSLContext tx, String nonce, Instant at) {
    tx.update(SIWE_NONCES).set(SIWE_NONCES.USED_AT, utc(at)).where(SIWE_NONCES.NONCE.eq(nonce)).execute();
  }

  /** Forgets nonces that expired before {@code before}: they can never be used anyway. */
  int purgeExpired(DSLContext dsl, Instant before) {
    return dsl.deleteFrom(SIWE_NONCES).where(SIWE_NONCES.EXPIRES_AT.lt(utc(before))).execute();
  }

  Optional<LinkedWallet> find(DSLContext dsl, String address) {
    return dsl.selectFrom(WALLETS).where(WALLETS.ADDRESS.eq(address)).fetchOptional()
        .map(row -> new LinkedWallet(row.getAddress(), row.getUserId(), row.getCreatedAt().toInstant()));
  }

  List<LinkedWallet> listOf(DSLContext dsl, UUID userId) {
    return dsl.selectFrom(WALLETS).where(WALLETS.USER_ID.eq(userId))
        .orderBy(WALLETS.CREATED_AT, WALLETS.ADDRESS).fetch()
        .map(row -> new LinkedWallet(row.getAddress(), row.getUserId(), row.getCreatedAt().toInstant()));
  }

  /**
   * Serialises everything done with one address until the caller's transaction ends (a
   * transaction-scoped advisory lock), so two first sign-ins of a wallet create one account.
   */
  void lockAddress(DSLContext tx, String address) {
    tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 18))", Object.class, DSL.val(address))).fetch();
  }

  /** Links the wallet; empty when it is linked already (to anyone: the primary key decides races). */
  Optional<LinkedWallet> insert(DSLContext tx, String address, UUID userId, Instant at) {
    int inserted = tx.insertInto(WALLETS)
        .set(WALLETS.ADDRESS, address)
        .set(WALLETS.USER_ID, userId)
        .set(WALLETS.CREATED_AT, utc(at))
        .onConflictDoNothing()
        .execute();
    return inserted == 1 ? Optional.of(new LinkedWallet(address, userId, at)) : Optional.empty();
  }

  private static IssuedNonce toNonce(SiweNoncesRecord row) {
    return new IssuedNonce(row.getNonce(), row.getAddress(), row.getMessage(), row.getExpiresAt().toInstant(),
        Optional.ofNullable(row.getUsedAt()).map(OffsetDateTime::toInstant));
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
