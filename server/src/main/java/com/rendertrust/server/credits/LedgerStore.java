package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Record6;
import org.jooq.Result;

/**
 * The ledger's SQL, always inside a caller's transaction ({@code tx}). Posting writes one
 * transfer row and its two entry rows; the entry trigger applies each entry to its account's
 * balance under the row lock (see migration V3), so balances never drift from entries.
 */
final class LedgerStore {

  Optional<Account> find(DSLContext tx, UUID ownerId, AccountKind kind) {
    return tx.selectFrom(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.OWNER_ID.eq(ownerId), CREDIT_ACCOUNTS.KIND.eq(kind.name()))
        .fetchOptional(LedgerStore::account);
  }

  /** Reads and row-locks the account: money movements on it queue behind this transaction. */
  Optional<Account> lock(DSLContext tx, UUID ownerId, AccountKind kind) {
    return tx.selectFrom(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.OWNER_ID.eq(ownerId), CREDIT_ACCOUNTS.KIND.eq(kind.name()))
        .forUpdate()
        .fetchOptional(LedgerStore::account);
  }

  Account lockById(DSLContext tx, UUID accountId) {
    return tx.selectFrom(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.ID.eq(accountId))
        .forUpdate()
        .fetchSingle(LedgerStore::account);
  }

  /** The account of {@code ownerId} and {@code kind}, opened (at balance 0) if it does not exist yet. */
  UUID open(DSLContext tx, UUID ownerId, AccountKind kind) {
    tx.insertInto(CREDIT_ACCOUNTS)
        .columns(CREDIT_ACCOUNTS.ID, CREDIT_ACCOUNTS.KIND, CREDIT_ACCOUNTS.OWNER_ID)
        .values(UUID.randomUUID(), kind.name(), ownerId)
        .onConflict(CREDIT_ACCOUNTS.OWNER_ID, CREDIT_ACCOUNTS.KIND).doNothing()
        .execute();
    return tx.select(CREDIT_ACCOUNTS.ID).from(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.OWNER_ID.eq(ownerId), CREDIT_ACCOUNTS.KIND.eq(kind.name()))
        .fetchSingle(CREDIT_ACCOUNTS.ID);
  }

  Account openAndLock(DSLContext tx, UUID ownerId, AccountKind kind) {
    return lockById(tx, open(tx, ownerId, kind));
  }

  /** Adds {@code delta} (may be negative) to the account's active holds; the row must be locked. */
  void changeHeld(DSLContext tx, UUID accountId, CreditAmount delta) {
    tx.update(CREDIT_ACCOUNTS)
        .set(CREDIT_ACCOUNTS.HELD, CREDIT_ACCOUNTS.HELD.plus(delta.units()))
        .where(CREDIT_ACCOUNTS.ID.eq(accountId))
        .execute();
  }

  /** The transfer an idempotency reference already produced, seen from its reference account. */
  Optional<PostedTransfer> findByReference(DSLContext tx, UUID referenceAccount, EntrySource source,
      ReferenceOrigin origin, String referenceId) {
    return tx.select(CREDIT_TRANSFERS.ID, CREDIT_TRANSFERS.AMOUNT, CREDIT_TRANSFERS.SOURCE,
            CREDIT_TRANSFERS.REFERENCE_ID, CREDIT_TRANSFERS.DESCRIPTION,
            CREDIT_ENTRIES.ID, CREDIT_ENTRIES.SEQ, CREDIT_ENTRIES.AMOUNT, CREDIT_ENTRIES.BALANCE_AFTER,
            CREDIT_ENTRIES.CREATED_AT)
        .from(CREDIT_TRANSFERS)
        .join(CREDIT_ENTRIES).on(CREDIT_ENTRIES.TRANSFER_ID.eq(CREDIT_TRANSFERS.ID),
            CREDIT_ENTRIES.ACCOUNT_ID.eq(CREDIT_TRANSFERS.REFERENCE_ACCOUNT_ID))
        .where(CREDIT_TRANSFERS.REFERENCE_ACCOUNT_ID.eq(referenceAccount),
            CREDIT_TRANSFERS.SOURCE.eq(source.name()),
            CREDIT_TRANSFERS.ORIGIN.eq(origin.name()),
            CREDIT_TRANSFERS.REFERENCE_ID.eq(referenceId))
        .fetchOptional(row -> new PostedTransfer(row.get(CREDIT_TRANSFERS.ID),
            new CreditAmount(row.get(CREDIT_TRANSFERS.AMOUNT)), entry(row)));
  }

  /**
   * Posts one transfer: the transfer row, then both legs in one statement, the reference
   * account's leg first (lock order: user accounts before system accounts). The deferred
   * constraint trigger re-checks at commit that both legs exist.
   */
  PostedTransfer post(DSLContext tx, TransferRequest request) {
    UUID transferId = UUID.randomUUID();
    tx.insertInto(CREDIT_TRANSFERS)
        .set(CREDIT_TRANSFERS.ID, transferId)
        .set(CREDIT_TRANSFERS.DEBIT_ACCOUNT_ID, request.debitAccount())
        .set(CREDIT_TRANSFERS.CREDIT_ACCOUNT_ID, request.creditAccount())
        .set(CREDIT_TRANSFERS.AMOUNT, request.amount().units())
        .set(CREDIT_TRANSFERS.SOURCE, request.source().name())
        .set(CREDIT_TRANSFERS.ORIGIN, request.origin().name())
        .set(CREDIT_TRANSFERS.REFERENCE_ACCOUNT_ID, request.referenceAccount())
        .set(CREDIT_TRANSFERS.REFERENCE_ID, request.referenceId().orElse(null))
        .set(CREDIT_TRANSFERS.DESCRIPTION, request.description().orElse(null))
        .execute();

    boolean referenceIsDebit = request.referenceAccount().equals(request.debitAccount());
    UUID otherAccount = referenceIsDebit ? request.creditAccount() : request.debitAccount();
    long units = request.amount().units();
    UUID referenceEntryId = UUID.randomUUID();
    Result<Record6<UUID, Long, UUID, Long, Long, OffsetDateTime>> legs = tx
        .insertInto(CREDIT_ENTRIES, CREDIT_ENTRIES.ID, CREDIT_ENTRIES.TRANSFER_ID, CREDIT_ENTRIES.ACCOUNT_ID,
            CREDIT_ENTRIES.AMOUNT)
        .values(referenceEntryId, transferId, request.referenceAccount(), referenceIsDebit ? -units : units)
        .values(UUID.randomUUID(), transferId, otherAccount, referenceIsDebit ? units : -units)
        .returningResult(CREDIT_ENTRIES.ID, CREDIT_ENTRIES.SEQ, CREDIT_ENTRIES.ACCOUNT_ID, CREDIT_ENTRIES.AMOUNT,
            CREDIT_ENTRIES.BALANCE_AFTER, CREDIT_ENTRIES.CREATED_AT)
        .fetch();
    Record referenceLeg = legs.stream()
        .filter(leg -> leg.get(CREDIT_ENTRIES.ID).equals(referenceEntryId))
        .findFirst().orElseThrow();
    long signed = referenceLeg.get(CREDIT_ENTRIES.AMOUNT);
    LedgerEntry entry = new LedgerEntry(referenceEntryId, referenceLeg.get(CREDIT_ENTRIES.SEQ),
        new CreditAmount(Math.abs(signed)), Direction.of(signed), request.source(), request.referenceId(),
        new CreditAmount(referenceLeg.get(CREDIT_ENTRIES.BALANCE_AFTER)), request.description(),
        referenceLeg.get(CREDIT_ENTRIES.CREATED_AT).toInstant());
    return new PostedTransfer(transferId, request.amount(), entry);
  }

  /** An account's entries, newest first, and their total count. */
  HistoryPage history(DSLContext dsl, UUID accountId, int limit, int offset) {
    List<LedgerEntry> entries = dsl.select(CREDIT_TRANSFERS.SOURCE, CREDIT_TRANSFERS.REFERENCE_ID,
            CREDIT_TRANSFERS.DESCRIPTION, CREDIT_ENTRIES.ID, CREDIT_ENTRIES.SEQ, CREDIT_ENTRIES.AMOUNT,
            CREDIT_ENTRIES.BALANCE_AFTER, CREDIT_ENTRIES.CREATED_AT)
        .from(CREDIT_ENTRIES)
        .join(CREDIT_TRANSFERS).on(CREDIT_TRANSFERS.ID.eq(CREDIT_ENTRIES.TRANSFER_ID))
        .where(CREDIT_ENTRIES.ACCOUNT_ID.eq(accountId))
        .orderBy(CREDIT_ENTRIES.SEQ.desc())
        .limit(limit)
        .offset(offset)
        .fetch(LedgerStore::entry);
    int total = dsl.selectCount().from(CREDIT_ENTRIES).where(CREDIT_ENTRIES.ACCOUNT_ID.eq(accountId))
        .fetchSingle().value1();
    return new HistoryPage(entries, total);
  }

  private static LedgerEntry entry(Record row) {
    long signed = row.get(CREDIT_ENTRIES.AMOUNT);
    return new LedgerEntry(
        row.get(CREDIT_ENTRIES.ID),
        row.get(CREDIT_ENTRIES.SEQ),
        new CreditAmount(Math.abs(signed)),
        Direction.of(signed),
        EntrySource.valueOf(row.get(CREDIT_TRANSFERS.SOURCE)),
        Optional.ofNullable(row.get(CREDIT_TRANSFERS.REFERENCE_ID)),
        new CreditAmount(row.get(CREDIT_ENTRIES.BALANCE_AFTER)),
        Optional.ofNullable(row.get(CREDIT_TRANSFERS.DESCRIPTION)),
        row.get(CREDIT_ENTRIES.CREATED_AT).toInstant());
  }

  private static Account account(Record row) {
    return new Account(row.get(CREDIT_ACCOUNTS.ID), AccountKind.valueOf(row.get(CREDIT_ACCOUNTS.KIND)),
        row.get(CREDIT_ACCOUNTS.OWNER_ID), new CreditAmount(row.get(CREDIT_ACCOUNTS.BALANCE)),
        new CreditAmount(row.get(CREDIT_ACCOUNTS.HELD)));
  }
}
