package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import com.rendertrust.server.db.Routines;
import com.rendertrust.server.db.tables.records.CreditPostRecord;
import com.rendertrust.server.platform.db.PreparedSql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;

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

  /**
   * The account of {@code ownerId} and {@code kind}, opened (at balance 0) if it does not exist yet.
   * Looks first: the account almost always exists (e.g. an operator's earnings account on every
   * capture after the first), and the lookup is one round trip where the insert costs two.
   */
  UUID open(DSLContext tx, UUID ownerId, AccountKind kind) {
    Optional<UUID> existing = tx.select(CREDIT_ACCOUNTS.ID).from(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.OWNER_ID.eq(ownerId), CREDIT_ACCOUNTS.KIND.eq(kind.name()))
        .fetchOptional(CREDIT_ACCOUNTS.ID);
    if (existing.isPresent()) {
      return existing.get();
    }
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
   * Posts one transfer through {@code credit_post} (migration V3): the transfer row and both
   * legs in one round trip, the reference account's leg first (lock order: user accounts before
   * system accounts). Empty when the reference is already taken, in which case nothing was
   * written; the caller holds the reference account's row lock, so that answer is final.
   */
  Optional<PostedTransfer> postOnce(DSLContext tx, TransferRequest request) {
    UUID transferId = UUID.randomUUID();
    UUID referenceEntryId = UUID.randomUUID();
    Optional<CreditPostRecord> leg = tx.selectFrom(Routines.creditPost(transferId, request.debitAccount(),
            request.creditAccount(), request.amount().units(), request.source().name(), request.origin().name(),
            request.referenceAccount(), request.referenceId().orElse(null), request.description().orElse(null),
            referenceEntryId, UUID.randomUUID()))
        .fetchOptional();
    return leg.map(row -> {
      boolean referenceIsDebit = request.referenceAccount().equals(request.debitAccount());
      LedgerEntry entry = new LedgerEntry(referenceEntryId, row.getEntrySeq(), request.amount(),
          referenceIsDebit ? Direction.DEBIT : Direction.CREDIT, request.source(), request.referenceId(),
          new CreditAmount(row.getEntryBalanceAfter()), request.description(), row.getEntryCreatedAt().toInstant());
      return new PostedTransfer(transferId, request.amount(), entry);
    });
  }

  /** What {@code credit_debit_user} did; {@code userLeg} only when POSTED. */
  record Debit(DebitOutcome outcome, CreditAmount available, Optional<LedgerEntry> userLeg) {
  }

  enum DebitOutcome { POSTED, INSUFFICIENT, NO_ACCOUNT, REFERENCE_TAKEN }

  /** A user spending: {@code amount} from the user's account (named by its owner) to {@code creditAccount}. */
  record UserDebit(UUID ownerId, UUID creditAccount, CreditAmount amount, EntrySource source, ReferenceOrigin origin,
      Optional<String> referenceId, Optional<String> description) {
  }

  /**
   * The spending hot path in one statement ({@code credit_debit_user}, migration V3): locks the
   * user's account and posts the debit only if the account's available amount covers it.
   */
  Debit debitUser(DSLContext dsl, UserDebit request) {
    UUID userEntryId = UUID.randomUUID();
    return DEBIT_USER.fetch(dsl, row -> debit(row, 1, request, userEntryId), request.ownerId(),
        request.creditAccount(), request.amount().units(), request.source().name(),
        request.origin().name(), request.referenceId().orElse(null), request.description().orElse(null),
        UUID.randomUUID(), userEntryId, UUID.randomUUID()).getFirst();
  }

  /**
   * A {@code credit_debit_user} answer, its columns from {@code first} on (outcome, available,
   * entry_seq, entry_balance_after, entry_created_at); {@code userEntryId} names the user's entry.
   */
  private static Debit debit(ResultSet row, int first, UserDebit request, UUID userEntryId) throws SQLException {
    DebitOutcome outcome = DebitOutcome.valueOf(row.getString(first));
    Optional<LedgerEntry> leg = outcome != DebitOutcome.POSTED ? Optional.empty() : Optional.of(new LedgerEntry(
        userEntryId, row.getLong(first + 2), request.amount(), Direction.DEBIT, request.source(),
        request.referenceId(), new CreditAmount(row.getLong(first + 3)), request.description(),
        PreparedSql.timestamp(row, first + 4).toInstant()));
    return new Debit(outcome, new CreditAmount(row.getLong(first + 1)), leg);
  }

  /**
   * Rendered once (the deduction's hot path; jOOQ's rendering of the routine call was about a
   * fifth of the server's CPU per deduction in bench/run-deduct.sh's profile).
   */
  private static final PreparedSql DEBIT_USER = new PreparedSql("""
      SELECT outcome, available, entry_seq, entry_balance_after, entry_created_at
        FROM credit_debit_user(CAST(? AS uuid), CAST(? AS uuid), CAST(? AS bigint), CAST(? AS varchar),
                               CAST(? AS varchar), CAST(? AS varchar), CAST(? AS varchar), CAST(? AS uuid),
                               CAST(? AS uuid), CAST(? AS uuid))""");

  /**
   * {@link #debitUser} of each request in order, in one statement ({@code credit_debit_users},
   * migration V26): the group commit of deductions. The answers are in the requests' order.
   */
  List<Debit> debitUsers(DSLContext dsl, List<UserDebit> requests) {
    int count = requests.size();
    UUID[] transferIds = new UUID[count];
    UUID[] userEntryIds = new UUID[count];
    UUID[] otherEntryIds = new UUID[count];
    for (int i = 0; i < count; i++) {
      transferIds[i] = UUID.randomUUID();
      userEntryIds[i] = UUID.randomUUID();
      otherEntryIds[i] = UUID.randomUUID();
    }
    List<Debit> debits = DEBIT_USERS.fetch(dsl, row -> {
      int index = row.getInt(1) - 1; // ord, then credit_debit_user's columns
      return debit(row, 2, requests.get(index), userEntryIds[index]);
    }, PreparedSql.column(requests, UserDebit::ownerId, UUID[]::new),
        PreparedSql.column(requests, UserDebit::creditAccount, UUID[]::new),
        PreparedSql.column(requests, request -> request.amount().units(), Long[]::new),
        PreparedSql.column(requests, request -> request.source().name(), String[]::new),
        PreparedSql.column(requests, request -> request.origin().name(), String[]::new),
        PreparedSql.column(requests, request -> request.referenceId().orElse(null), String[]::new),
        PreparedSql.column(requests, request -> request.description().orElse(null), String[]::new),
        transferIds, userEntryIds, otherEntryIds);
    if (debits.size() != count) {
      throw new IllegalStateException("credit_debit_users answered " + debits.size() + " of " + count + " deductions");
    }
    return debits;
  }

  private static final PreparedSql DEBIT_USERS = new PreparedSql("""
      SELECT ord, outcome, available, entry_seq, entry_balance_after, entry_created_at
        FROM credit_debit_users(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS bigint[]), CAST(? AS varchar[]),
                                CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS uuid[]),
                                CAST(? AS uuid[]), CAST(? AS uuid[]))
       ORDER BY ord""");

  /** {@link #postOnce} for transfers whose reference cannot have been used before (checked by the caller). */
  PostedTransfer post(DSLContext tx, TransferRequest request) {
    return postOnce(tx, request).orElseThrow(() -> new IllegalStateException(
        "reference " + request.referenceId() + " already used on account " + request.referenceAccount()));
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
