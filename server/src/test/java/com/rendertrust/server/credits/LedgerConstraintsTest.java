package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The database's own guards, hit with raw SQL that bypasses the domain code (a bug, a
 * careless script, an insider): each attempt is rejected and the ledger is left unchanged.
 */
class LedgerConstraintsTest {

  private static Database database;
  private static CreditService credits;
  private UUID user;
  private UUID userAccount;
  private LedgerSnapshot before;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    credits = new CreditService(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @BeforeEach
  void fundedUser() {
    user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(5), "seed", "grant");
    credits.deduct(user, Deduction.of("1", "spent", ""));
    userAccount = database.dsl().fetchSingle("SELECT id FROM credit_accounts WHERE owner_id = ?", user)
        .get(0, UUID.class);
    before = LedgerSnapshot.take(database.dsl());
  }

  @AfterEach
  void nothingChanged() {
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void entriesCannotBeUpdatedDeletedOrTruncated() {
    rejected("UPDATE credit_entries SET amount = amount * 2", "append-only");
    rejected("UPDATE credit_entries SET created_at = now() - interval '1 day'", "append-only");
    rejected("DELETE FROM credit_entries", "append-only");
    rejected("TRUNCATE credit_entries CASCADE", "append-only");
  }

  @Test
  void transfersCannotBeUpdatedDeletedOrTruncated() {
    rejected("UPDATE credit_transfers SET amount = 1", "append-only");
    rejected("UPDATE credit_transfers SET description = 'rewritten'", "append-only");
    rejected("DELETE FROM credit_transfers", "append-only");
    rejected("TRUNCATE credit_transfers CASCADE", "append-only");
  }

  @Test
  void balancesMoveOnlyByPostingEntries() {
    rejected("UPDATE credit_accounts SET balance = balance + 1000000 WHERE id = '" + userAccount + "'",
        "only by posting entries");
    rejected("INSERT INTO credit_accounts (id, kind, owner_id, balance) VALUES ('" + UUID.randomUUID()
        + "', 'USER', '" + UUID.randomUUID() + "', 1000000)", "must open with balance 0");
    rejected("DELETE FROM credit_accounts WHERE id = '" + userAccount + "'", "never deleted");
    rejected("UPDATE credit_accounts SET owner_id = '" + UUID.randomUUID() + "' WHERE id = '" + userAccount + "'",
        "immutable");
  }

  @Test
  void aTransferWithOnlyOneLegFailsAtCommit() {
    UUID transfer = UUID.randomUUID();
    rejected(transfer(transfer, userAccount, SystemAccounts.PLATFORM_REVENUE, 10000, "USAGE", "CLIENT", "one-leg")
        + "; " + leg(transfer, userAccount, -10000), "needs 2");
  }

  @Test
  void aLegMustMatchItsTransfer() {
    UUID transfer = UUID.randomUUID();
    String insert = transfer(transfer, userAccount, SystemAccounts.PLATFORM_REVENUE, 10000, "USAGE", "CLIENT", "bad-leg");
    rejected(insert + "; " + leg(transfer, userAccount, -20000), "not a leg");
    rejected(insert + "; " + leg(transfer, SystemAccounts.JOB_HOLDS, 10000), "not a leg");
    rejected(insert + "; " + leg(transfer, userAccount, 10000), "not a leg");
    rejected(leg(UUID.randomUUID(), userAccount, -10000), "names no transfer");
    UUID ghost = UUID.randomUUID();
    UUID toNowhere = UUID.randomUUID();
    rejected(transfer(toNowhere, userAccount, ghost, 10000, "USAGE", "CLIENT", "ghost") + "; "
        + leg(toNowhere, userAccount, -10000) + "; " + leg(toNowhere, ghost, 10000), "names no account");
  }

  @Test
  void noUserAccountCanBeOverdrawnEvenByRawPosting() {
    UUID transfer = UUID.randomUUID();
    rejected(transfer(transfer, userAccount, SystemAccounts.PLATFORM_REVENUE, 50000, "USAGE", "CLIENT", "overdraw")
        + "; " + leg(transfer, userAccount, -50000) + "; " + leg(transfer, SystemAccounts.PLATFORM_REVENUE, 50000),
        "credit_accounts_no_overdraft");
    rejected("UPDATE credit_accounts SET held = 999999999 WHERE id = '" + userAccount + "'", "credit_accounts_no_overdraft");
    rejected("UPDATE credit_accounts SET held = 1 WHERE id = '" + SystemAccounts.PLATFORM_REVENUE + "'",
        "credit_accounts_held_check");
  }

  @Test
  void transferShapeIsChecked() {
    rejected(transfer(UUID.randomUUID(), userAccount, SystemAccounts.PLATFORM_REVENUE, 0, "USAGE", "CLIENT", "zero"),
        "credit_transfers_amount_check");
    rejected(transfer(UUID.randomUUID(), userAccount, SystemAccounts.PLATFORM_REVENUE, -5, "USAGE", "CLIENT", "neg"),
        "credit_transfers_amount_check");
    rejected(transfer(UUID.randomUUID(), userAccount, userAccount, 5, "USAGE", "CLIENT", "self"),
        "credit_transfers_distinct_accounts");
    rejected(transfer(UUID.randomUUID(), userAccount, SystemAccounts.PLATFORM_REVENUE, 5, "GIFT", "CLIENT", "src"),
        "credit_transfers_source_check");
  }

  @Test
  void aReferenceIsUniquePerAccountSourceAndOrigin() {
    UUID transfer = UUID.randomUUID();
    rejected(transfer(transfer, userAccount, SystemAccounts.PLATFORM_REVENUE, 10000, "USAGE", "CLIENT", "spent")
        + "; " + leg(transfer, userAccount, -10000) + "; " + leg(transfer, SystemAccounts.PLATFORM_REVENUE, 10000),
        "credit_transfers_reference_key");
  }

  @Test
  void aResolvedHoldCannotBeReopenedOrDeleted() {
    UUID job = UUID.randomUUID();
    JobHolds holds = new JobHolds(database.dsl(), 70);
    holds.hold(job, user, CreditAmount.ofCredits(1));
    holds.release(job);
    before = LedgerSnapshot.take(database.dsl());
    rejected("UPDATE credit_holds SET status = 'ACTIVE', resolved_at = NULL WHERE job_id = '" + job + "'", "already");
    rejected("UPDATE credit_holds SET status = 'CAPTURED' WHERE job_id = '" + job + "'", "already");
    rejected("DELETE FROM credit_holds WHERE job_id = '" + job + "'", "never deleted");
  }

  private static String transfer(UUID id, UUID debit, UUID credit, long amount, String source, String origin, String ref) {
    return "INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,"
        + " reference_account_id, reference_id) VALUES ('" + id + "', '" + debit + "', '" + credit + "', " + amount
        + ", '" + source + "', '" + origin + "', '" + debit + "', '" + ref + "')";
  }

  private static String leg(UUID transfer, UUID account, long amount) {
    return "INSERT INTO credit_entries (id, transfer_id, account_id, amount) VALUES ('" + UUID.randomUUID() + "', '"
        + transfer + "', '" + account + "', " + amount + ")";
  }

  /** Runs the statements in one transaction and commits; the database must refuse with {@code message}. */
  private static void rejected(String sql, String message) {
    assertThatThrownBy(() -> {
      try (Connection connection = database.dataSource().getConnection()) {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
          statement.execute(sql);
          connection.commit();
        } catch (SQLException e) {
          connection.rollback();
          throw e;
        }
      }
    }).as(sql).isInstanceOf(SQLException.class).hasMessageContaining(message);
  }
}
