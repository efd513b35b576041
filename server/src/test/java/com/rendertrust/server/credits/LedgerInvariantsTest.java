package com.rendertrust.server.credits;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The checker can fail: an insider who switches the guards off (session_replication_role =
 * replica, superuser only) and edits rows is caught by the checker (reliability.md S23).
 */
class LedgerInvariantsTest {

  private Database database;
  private LedgerInvariants invariants;
  private UUID user;
  private UUID job;

  @BeforeEach
  void ledgerWithSomeHistory() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 2);
    invariants = new LedgerInvariants(database.dsl());
    CreditService credits = new CreditService(database.dsl());
    JobHolds holds = new JobHolds(database.dsl(), 70);
    user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(50), "seed", "grant");
    credits.deduct(user, Deduction.of("5", "manual", ""));
    job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ofCredits(10));
    holds.hold(UUID.randomUUID(), user, CreditAmount.ofCredits(1));
    holds.capture(job, UUID.randomUUID());
    assertThat(invariants.violations()).isEmpty();
  }

  @AfterEach
  void close() {
    database.close();
  }

  @Test
  void anEditedEntryBreaksConservationAndTheBalances() {
    tamper("UPDATE credit_entries SET amount = amount - 10000 WHERE amount = -50000");
    assertThat(invariants.violations())
        .anyMatch(v -> v.startsWith("sum of all entries is 0"))
        .anyMatch(v -> v.startsWith("every transfer is exactly its two legs"))
        .anyMatch(v -> v.startsWith("account balance = sum of its entries"))
        .anyMatch(v -> v.startsWith("balance_after = running sum"));
  }

  @Test
  void aBalanceEditedBehindTheLedgersBackIsCaught() {
    tamper("UPDATE credit_accounts SET balance = balance + 1000000 WHERE owner_id = '" + user + "'");
    assertThat(invariants.violations()).anyMatch(v -> v.startsWith("account balance = sum of its entries"));
  }

  @Test
  void anOverdrawnUserIsCaught() {
    tamper("ALTER TABLE credit_accounts DROP CONSTRAINT credit_accounts_no_overdraft;"
        + " UPDATE credit_accounts SET held = held + 10000000 WHERE owner_id = '" + user + "'");
    assertThat(invariants.violations())
        .anyMatch(v -> v.startsWith("no account but a clearing account is overdrawn"))
        .anyMatch(v -> v.startsWith("held = sum of the account's active holds"));
  }

  @Test
  void aCaptureWithoutItsPostingIsCaught() {
    tamper("UPDATE credit_holds SET status = 'CAPTURED', resolved_at = now(),"
        + " operator_account_id = '" + SystemAccounts.PLATFORM_REVENUE + "' WHERE status = 'ACTIVE'");
    assertThat(invariants.violations())
        .anyMatch(v -> v.startsWith("a captured hold is posted once"))
        .anyMatch(v -> v.startsWith("held = sum of the account's active holds"));
  }

  @Test
  void aPurchaseWithoutAPaidCheckoutIsCaught() {
    UUID account = database.dsl().fetchSingle("SELECT id FROM credit_accounts WHERE owner_id = ?", user).get(0, UUID.class);
    UUID transfer = UUID.randomUUID();
    // Through the guards, as a buggy fulfilment would: balanced, but no paid checkout behind it.
    tamperWithGuardsOn("INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,"
        + " reference_account_id, reference_id) VALUES ('" + transfer + "', '" + SystemAccounts.STRIPE_CLEARING + "', '"
        + account + "', 1000000, 'PURCHASE', 'CHECKOUT', '" + account + "', 'cs_forged');"
        + " INSERT INTO credit_entries (id, transfer_id, account_id, amount) VALUES ('" + UUID.randomUUID() + "', '"
        + transfer + "', '" + account + "', 1000000), ('" + UUID.randomUUID() + "', '" + transfer + "', '"
        + SystemAccounts.STRIPE_CLEARING + "', -1000000)");
    assertThat(invariants.violations()).anyMatch(v -> v.startsWith("no purchase without a paid checkout"));
  }

  @Test
  void sharesMarkedPaidWithoutTheirAccrualAreCaught() {
    batchedCapture();
    tamper("UPDATE credit_settlements SET accrual_id = gen_random_uuid()");
    assertThat(invariants.violations())
        .anyMatch(v -> v.startsWith("a job_holds shard holds exactly the shares not accrued yet"))
        .anyMatch(v -> v.startsWith("an accrual pays each operator and platform shard exactly what"));
  }

  @Test
  void anAccrualThatPaidOtherThanItsRowsOweIsCaught() {
    batchedCapture();
    assertThat(new ShareAccruals(database.dsl()).accrueDue()).isEqualTo(1);
    assertThat(invariants.violations()).isEmpty();
    tamper("UPDATE credit_settlements SET operator_share = operator_share - 100, platform_share = platform_share + 100");
    assertThat(invariants.violations())
        .anyMatch(v -> v.startsWith("an accrual pays each operator and platform shard exactly what"));
  }

  /** A job of the user captured the batched way: its shares owed by a settlement row. */
  private void batchedCapture() {
    JobHolds holds = new JobHolds(database.dsl(), 70);
    UUID batched = UUID.randomUUID();
    holds.hold(batched, user, CreditAmount.ofCredits(2));
    new Transactions(database.dsl()).inTransaction(tx -> holds.captureAllWithin(tx,
        List.of(new JobHolds.SoleCapture(batched, user, UUID.randomUUID(), CreditAmount.ofCredits(2)))));
    assertThat(invariants.violations()).isEmpty();
  }

  private void tamper(String sql) {
    tamperWithGuardsOn("SET LOCAL session_replication_role = replica; " + sql);
  }

  private void tamperWithGuardsOn(String sql) {
    try (Connection connection = database.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        statement.execute(sql);
      }
      connection.commit();
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
