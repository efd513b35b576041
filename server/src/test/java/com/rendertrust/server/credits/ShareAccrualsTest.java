package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batched captures owe the operators' shares and the platform's fees as settlement rows (migration
 * V22); {@link ShareAccruals} pays them, one transfer per (job_holds shard, account), each row once,
 * and whatever moves a share before then (a refund, a payout) accrues it first.
 */
class ShareAccrualsTest {

  private static final long PRICE = 10_000;

  private Database database;
  private Transactions transactions;
  private JobHolds holds;
  private JobLedger ledger;
  private ShareAccruals accruals;
  private final List<UUID> users = new ArrayList<>();
  private final List<UUID> operators = List.of(UUID.randomUUID(), UUID.randomUUID());
  private final List<UUID> jobs = new ArrayList<>();

  @BeforeEach
  void capturedBatch() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    transactions = new Transactions(database.dsl());
    holds = new JobHolds(database.dsl(), 70);
    ledger = new JobLedger(database.dsl());
    accruals = new ShareAccruals(database.dsl());
    for (int u = 0; u < 6; u++) {
      users.add(ledger.fundedUser(10 * PRICE));
    }
    // 12 jobs: two per user, the operators taking turns; the last has no operator (all to the platform)
    List<JobHolds.SoleCapture> captures = new ArrayList<>();
    for (int j = 0; j < 12; j++) {
      UUID job = UUID.randomUUID();
      UUID user = users.get(j / 2);
      holds.hold(job, user, new CreditAmount(PRICE));
      captures.add(new JobHolds.SoleCapture(job, user, j == 11 ? null : operators.get(j % 2), new CreditAmount(PRICE)));
      jobs.add(job);
    }
    transactions.inTransaction(tx -> holds.captureAllWithin(tx, captures));
  }

  @AfterEach
  void ledgerSound() {
    assertLedgerInvariants(database.dsl());
    database.close();
  }

  @Test
  void anAccrualPaysEveryRowOnceWithOneTransferPerShardAndAccount() {
    assertThat(ledger.accountBalance(operators.get(0), AccountKind.OPERATOR_EARNINGS)).as("owed, not paid yet").isZero();
    assertThat(ledger.earnings(operators.get(0))).as("but earned").isEqualTo(6 * PRICE * 70 / 100);
    assertThat(ledger.earnings(operators.get(1))).isEqualTo(5 * PRICE * 70 / 100);
    long platformBefore = ledger.platformRevenue();
    Set<String> pairs = new HashSet<>();
    for (int j = 0; j < 12; j++) {
      String shard = SystemAccounts.jobHoldsFor(users.get(j / 2)).toString();
      if (j < 11) {
        pairs.add(shard + " operator " + operators.get(j % 2));
      }
      pairs.add(shard + " platform");
    }

    assertThat(accruals.accrueDue()).isEqualTo(12);

    assertThat(count("SELECT count(*) FROM credit_transfers WHERE origin = 'ACCRUAL'")).isEqualTo(pairs.size());
    assertThat(count("SELECT count(DISTINCT accrual_id) FROM credit_settlements WHERE accrual_id IS NOT NULL"))
        .as("one accrual").isEqualTo(1);
    assertThat(ledger.accountBalance(operators.get(0), AccountKind.OPERATOR_EARNINGS)).isEqualTo(6 * PRICE * 70 / 100);
    assertThat(ledger.accountBalance(operators.get(1), AccountKind.OPERATOR_EARNINGS)).isEqualTo(5 * PRICE * 70 / 100);
    assertThat(ledger.platformRevenue()).as("the fees were counted before and after").isEqualTo(platformBefore);
    assertThat(count("SELECT sum(balance) FROM credit_accounts WHERE kind = 'JOB_HOLDS'")).isZero();
    assertThat(accruals.accrueDue()).as("nothing is paid twice").isZero();
  }

  @Test
  void rowsAnotherTransactionHoldsAreLeftToItWithoutWaiting() throws Exception {
    try (Connection other = database.dataSource().getConnection()) {
      other.setAutoCommit(false);
      try (PreparedStatement lock = other.prepareStatement(
          "SELECT hold_key FROM credit_settlements WHERE hold_key = ? FOR UPDATE")) {
        lock.setObject(1, jobs.getFirst());
        try (ResultSet locked = lock.executeQuery()) {
          assertThat(locked.next()).isTrue();
        }
      }

      assertThat(accruals.accrueDue()).isEqualTo(11);

      other.commit();
    }
    assertThat(accruals.accrueDue()).isEqualTo(1);
    assertThat(accruals.accrueDue()).isZero();
  }

  /**
   * The lock order an accrual takes (the job_holds shards, then the operators' accounts) never
   * meets a capture in a cycle: a capture waiting for its shard holds no lock on an operator's
   * account (credit_settlements has no foreign key to it, whose check would take one).
   */
  @Test
  void anAccrualHoldingAShardTakesTheOperatorsAccountWhileACaptureWaitsForThatShard() throws Exception {
    UUID user = ledger.fundedUser(10 * PRICE);
    UUID job = UUID.randomUUID();
    holds.hold(job, user, new CreditAmount(PRICE));
    UUID operatorAccount = database.dsl().fetchSingle(
        "SELECT id FROM credit_accounts WHERE owner_id = ? AND kind = 'OPERATOR_EARNINGS'", operators.getFirst())
        .get(0, UUID.class);
    try (Connection accrual = database.dataSource().getConnection()) {
      accrual.setAutoCommit(false);
      lockAccount(accrual, SystemAccounts.jobHoldsFor(user));
      Thread capture = Thread.ofVirtual().start(() -> transactions.inTransaction(tx -> holds.captureAllWithin(tx,
          List.of(new JobHolds.SoleCapture(job, user, operators.getFirst(), new CreditAmount(PRICE))))));
      while (database.dsl().fetchSingle("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
          + " AND query LIKE '%credit_holds_capture_all%'").get(0, Integer.class) == 0) {
        assertThat(capture.isAlive()).as("the capture waits for the shard").isTrue();
        Thread.sleep(5);
      }
      try (Statement timeout = accrual.createStatement()) {
        timeout.execute("SET LOCAL lock_timeout = '500ms'"); // under deadlock_timeout (1 s)
      }
      lockAccount(accrual, operatorAccount);
      accrual.commit();
      capture.join();
    }
    assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.CAPTURED);
    assertThat(accruals.accrueDue()).isEqualTo(13);
  }

  private static void lockAccount(Connection connection, UUID account) throws java.sql.SQLException {
    try (PreparedStatement lock = connection.prepareStatement("SELECT 1 FROM credit_accounts WHERE id = ? FOR UPDATE")) {
      lock.setObject(1, account);
      try (ResultSet locked = lock.executeQuery()) {
        assertThat(locked.next()).isTrue();
      }
    }
  }

  @Test
  void aRefundBeforeTheAccrualPaysTheSharesThenTakesThemBack() {
    UUID user = users.getFirst();
    long before = ledger.balance(user);

    JobRefunds.Refund refund = new JobRefunds(database.dsl()).refund(jobs.getFirst(), "render was black");

    assertThat(refund.reversedFromOperators().units()).isEqualTo(PRICE * 70 / 100);
    assertThat(refund.platformLoss().units()).isZero();
    assertThat(ledger.balance(user)).isEqualTo(before + PRICE);
    assertThat(ledger.earnings(operators.getFirst())).isEqualTo(5 * PRICE * 70 / 100);
    assertThat(database.dsl().fetchSingle("SELECT accrual_id IS NOT NULL FROM credit_settlements WHERE hold_key = ?",
        jobs.getFirst()).get(0, Boolean.class)).isTrue();
    assertThat(accruals.accrueDue()).isEqualTo(11);
  }

  @Test
  void aPayoutPaysTheOperatorsOwedSharesFirstSoAllOfItsEarningsCanLeave() {
    UUID operator = operators.getFirst();
    CreditAmount earned = new CreditAmount(ledger.earnings(operator));
    CreditService credits = new CreditService(database.dsl());

    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      credits.reservePayout(tx, operator, earned, UUID.randomUUID());
      assertThat(tx.fetchValue("SELECT balance FROM credit_accounts WHERE owner_id = ? AND kind = 'OPERATOR_EARNINGS'",
          operator)).isEqualTo(0L);
      assertThat(tx.fetchValue("SELECT count(*) FROM credit_settlements WHERE accrual_id IS NULL"))
          .as("only the other operator's rows and the platform-only one are left").isEqualTo(6L);
      throw new IllegalStateException("rolled back: no payout row to go with it");
    })).hasMessageContaining("rolled back");

    assertThatThrownBy(() -> transactions.inTransaction(tx -> credits.reservePayout(tx, operator,
        new CreditAmount(earned.units() + 1), UUID.randomUUID())))
        .hasMessageContaining("earnings short");
    assertThat(ledger.earnings(operator)).isEqualTo(earned.units());
  }

  private int count(String sql) {
    return database.dsl().fetchSingle(sql).get(0, Integer.class);
  }

}
