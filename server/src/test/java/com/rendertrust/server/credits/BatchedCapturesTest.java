package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_SETTLEMENTS;
import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batch of captures ({@link JobHolds#captureAllWithin}, set-based postings of migration V19)
 * moves exactly the money the same settlements move one by one (the users' transfers, and the
 * shares as settlement rows that an accrual pays, migration V22), refuses a bad batch whole, and
 * leaves the ledger's guards as they were.
 */
class BatchedCapturesTest {

  private static Database database;
  private static CreditService credits;
  private static JobHolds holds;
  private static Transactions transactions;
  private static JobLedger ledger;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 8);
    credits = new CreditService(database.dsl());
    holds = new JobHolds(database.dsl(), 70);
    transactions = new Transactions(database.dsl());
    ledger = new JobLedger(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @AfterEach
  void ledgerStillSound() {
    assertLedgerInvariants(database.dsl());
  }

  /** One job of a scenario: whose (index into the users), its hold, what it captures, and its operator (index, or -1). */
  private record Planned(int user, long held, long capture, int operator) {
  }

  /**
   * Users with several jobs each (so accounts and shards take several legs in one batch), two
   * operators and jobs without one, an amount whose operator share rounds to nothing, and a capture
   * of 0 (a release) and one of less than the hold.
   */
  private static final List<Planned> SCENARIO = List.of(
      new Planned(0, 10_000, 10_000, 0), new Planned(0, 25_000, 25_000, 1), new Planned(1, 10_000, 10_000, -1),
      new Planned(1, 1, 1, 0), new Planned(2, 30_000, 12_345, 1), new Planned(2, 5_000, 0, 0),
      new Planned(3, 7_777, 7_777, 0), new Planned(3, 9_999, 9_999, 0), new Planned(4, 20_000, 20_000, 1));

  private record Placed(List<UUID> users, List<UUID> operators, List<UUID> jobs) {
  }

  private static Placed place() {
    List<UUID> users = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      UUID user = UUID.randomUUID();
      credits.adjust(user, CreditAmount.ofCredits(100), "seed", "grant");
      users.add(user);
    }
    List<UUID> operators = List.of(UUID.randomUUID(), UUID.randomUUID());
    List<UUID> jobs = new ArrayList<>();
    for (Planned planned : SCENARIO) {
      UUID job = UUID.randomUUID();
      holds.hold(job, users.get(planned.user()), new CreditAmount(planned.held()));
      jobs.add(job);
    }
    return new Placed(users, operators, jobs);
  }

  /** The user's USAGE transfer, the operator's share (70 %, rounded down) and the platform's rest, each when not 0. */
  private static int transfersOf(Planned planned) {
    long operatorShare = planned.operator() < 0 ? 0 : planned.capture() * 70 / 100;
    return planned.capture() == 0 ? 0 : 1 + (operatorShare > 0 ? 1 : 0) + (planned.capture() > operatorShare ? 1 : 0);
  }

  private static UUID operatorOf(Placed placed, Planned planned) {
    return planned.operator() < 0 ? null : placed.operators().get(planned.operator());
  }

  @Test
  void aBatchPostsExactlyWhatOneByOneSettlementsPost() {
    Placed single = place();
    List<Hold> settledOneByOne = new ArrayList<>();
    for (int i = 0; i < SCENARIO.size(); i++) {
      Planned planned = SCENARIO.get(i);
      UUID operator = operatorOf(single, planned);
      int index = i;
      settledOneByOne.add(transactions.inTransaction(tx -> holds.settleWithin(tx, single.jobs().get(index),
          single.users().get(planned.user()), WorkSplit.solely(operator), new CreditAmount(planned.capture()))));
    }
    Placed batched = place();
    List<JobHolds.SoleCapture> captures = new ArrayList<>();
    for (int i = 0; i < SCENARIO.size(); i++) {
      Planned planned = SCENARIO.get(i);
      captures.add(new JobHolds.SoleCapture(batched.jobs().get(i), batched.users().get(planned.user()),
          operatorOf(batched, planned), new CreditAmount(planned.capture())));
    }

    List<Optional<Hold>> settledTogether = transactions.inTransaction(tx -> holds.captureAllWithin(tx, captures));

    for (int i = 0; i < SCENARIO.size(); i++) {
      Hold alone = settledOneByOne.get(i);
      Hold together = settledTogether.get(i).orElseThrow();
      assertThat(together.jobId()).isEqualTo(batched.jobs().get(i));
      assertThat(together.status()).isEqualTo(alone.status());
      assertThat(together.amount()).isEqualTo(alone.amount());
      assertThat(together.usageEntryId().isPresent()).isEqualTo(alone.usageEntryId().isPresent());
      assertThat(postings(batched, batched.jobs().get(i))).isEqualTo(postings(single, single.jobs().get(i)))
          .hasSize(transfersOf(SCENARIO.get(i)));
      assertThat(holdRow(batched.jobs().get(i))).isEqualTo(holdRow(single.jobs().get(i)));
      together.usageEntryId().ifPresent(entry -> assertThat(database.dsl().fetchValue(
          "SELECT t.reference_id FROM credit_entries e JOIN credit_transfers t ON t.id = e.transfer_id WHERE e.id = ?",
          entry)).isEqualTo(together.jobId().toString()));
    }
    for (int u = 0; u < 5; u++) {
      assertThat(credits.balance(batched.users().get(u))).isEqualTo(credits.balance(single.users().get(u)));
      assertThat(credits.available(batched.users().get(u))).isEqualTo(credits.available(single.users().get(u)));
    }
    for (int o = 0; o < 2; o++) {
      assertThat(ledger.earnings(batched.operators().get(o))).isEqualTo(ledger.earnings(single.operators().get(o))).isGreaterThan(0L);
    }
    // the batch wrote one transfer per capture; its shares are owed until an accrual pays them
    assertThat(database.dsl().fetchCount(CREDIT_SETTLEMENTS, CREDIT_SETTLEMENTS.HOLD_KEY.in(batched.jobs())))
        .isEqualTo((int) SCENARIO.stream().filter(planned -> planned.capture() > 0).count());
    ledger.accrueShares();
    for (int o = 0; o < 2; o++) {
      assertThat(ledger.accountBalance(batched.operators().get(o), AccountKind.OPERATOR_EARNINGS))
          .isEqualTo(ledger.accountBalance(single.operators().get(o), AccountKind.OPERATOR_EARNINGS));
    }
  }


  /**
   * Submissions place holds under the same users' account locks (migration V23): a capture takes
   * them only once its transfers and settlement rows are written, so it holds them for less.
   */
  @Test
  void aCaptureWaitingForAUsersAccountHasWrittenItsTransfersAlready() throws Exception {
    Placed placed = place();
    List<JobHolds.SoleCapture> captures = List.of(
        new JobHolds.SoleCapture(placed.jobs().get(0), placed.users().get(0), placed.operators().get(0),
            new CreditAmount(10_000)),
        new JobHolds.SoleCapture(placed.jobs().get(2), placed.users().get(1), null, new CreditAmount(10_000)));
    // the holder closes first (its lock goes), then the executor waits for the capture
    try (var threads = Executors.newVirtualThreadPerTaskExecutor();
        Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (var lock = holder.prepareStatement(
          "SELECT 1 FROM credit_accounts WHERE owner_id = ? AND kind = 'USER' FOR UPDATE")) {
        lock.setObject(1, placed.users().get(1));
        lock.executeQuery().close();
      }
      var settled = threads.submit(() -> transactions.inTransaction(tx -> holds.captureAllWithin(tx, captures)));
      Integer waiting = null;
      for (int attempt = 0; attempt < 500 && waiting == null; attempt++) {
        waiting = database.dsl().fetchOptional("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE '%credit_holds_capture_all%'").map(row -> row.get(0, Integer.class)).orElse(null);
        Thread.sleep(20);
      }
      assertThat(waiting).as("the capture waits for the locked account").isNotNull();
      assertThat(database.dsl().fetch("SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
              + " WHERE l.pid = ? AND l.mode = 'RowExclusiveLock'", waiting).getValues(0, String.class))
          .as("tables it has written while it waits").contains("credit_transfers", "credit_settlements")
          .doesNotContain("credit_entries");
      holder.commit();
      assertThat(settled.get(30, TimeUnit.SECONDS))
          .allSatisfy(hold -> assertThat(hold).hasValueSatisfying(
              h -> assertThat(h.status()).isEqualTo(HoldStatus.CAPTURED)));
    }
    assertThat(credits.balance(placed.users().get(1))).isEqualTo(new CreditAmount(
        CreditAmount.ofCredits(100).units() - 10_000));
  }

  @Test
  void holdsNotActiveAreAnsweredEmptyAndLeftAlone() {
    Placed placed = place();
    UUID released = placed.jobs().get(0);
    holds.release(released);
    UUID missing = UUID.randomUUID();
    List<JobHolds.SoleCapture> captures = List.of(
        new JobHolds.SoleCapture(released, placed.users().get(0), placed.operators().get(0), new CreditAmount(10_000)),
        new JobHolds.SoleCapture(missing, placed.users().get(0), null, new CreditAmount(1)),
        new JobHolds.SoleCapture(placed.jobs().get(2), placed.users().get(1), null, new CreditAmount(10_000)));

    List<Optional<Hold>> settled = transactions.inTransaction(tx -> holds.captureAllWithin(tx, captures));

    assertThat(settled.get(0)).isEmpty();
    assertThat(settled.get(1)).isEmpty();
    assertThat(settled.get(2)).hasValueSatisfying(hold -> assertThat(hold.status()).isEqualTo(HoldStatus.CAPTURED));
    assertThat(holds.find(released).orElseThrow().status()).isEqualTo(HoldStatus.RELEASED);
    assertThat(postings(placed, released)).isEmpty();
    assertThat(holds.find(missing)).isEmpty();
    assertThat(credits.balance(placed.users().get(0))).isEqualTo(CreditAmount.ofCredits(100));
  }

  @Test
  void aBatchWithOneCaptureOverItsHoldWritesNothing() {
    Placed placed = place();
    List<JobHolds.SoleCapture> captures = List.of(
        new JobHolds.SoleCapture(placed.jobs().get(0), placed.users().get(0), null, new CreditAmount(10_000)),
        new JobHolds.SoleCapture(placed.jobs().get(2), placed.users().get(1), null, new CreditAmount(10_001)));
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());

    assertThatThrownBy(() -> transactions.inTransaction(tx -> holds.captureAllWithin(tx, captures)))
        .isInstanceOfSatisfying(DataAccessException.class,
            e -> assertThat(Transactions.sqlState(e)).isEqualTo("23514"));

    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
    assertThat(holds.find(placed.jobs().get(0)).orElseThrow().status()).isEqualTo(HoldStatus.ACTIVE);
  }

  @Test
  void aBatchOfAnotherOwnersHoldOrOfOneHoldTwiceIsRefused() {
    Placed placed = place();
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    JobHolds.SoleCapture foreign = new JobHolds.SoleCapture(placed.jobs().get(0), placed.users().get(1), null,
        new CreditAmount(1));
    JobHolds.SoleCapture own = new JobHolds.SoleCapture(placed.jobs().get(0), placed.users().get(0), null,
        new CreditAmount(1));

    assertThatThrownBy(() -> transactions.inTransaction(tx -> holds.captureAllWithin(tx, List.of(foreign))))
        .isInstanceOfSatisfying(DataAccessException.class,
            e -> assertThat(Transactions.sqlState(e)).isEqualTo("23514"));
    assertThatThrownBy(() -> transactions.inTransaction(tx -> holds.captureAllWithin(tx, List.of(own, own))))
        .isInstanceOfSatisfying(DataAccessException.class,
            e -> assertThat(Transactions.sqlState(e)).isEqualTo("22023"));

    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void theLedgerGuardsHoldAfterABatchInTheSameTransaction() {
    Placed placed = place();
    UUID user = placed.users().get(0);
    UUID account = accountOf(user, "USER");
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());

    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      holds.captureAllWithin(tx, List.of(
          new JobHolds.SoleCapture(placed.jobs().get(0), user, null, new CreditAmount(10_000))));
      return tx.execute("UPDATE credit_accounts SET balance = balance + 1 WHERE id = ?", account);
    })).isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(Transactions.sqlState(e)).isEqualTo("23001"));
    // a leg that is not one of its transfer's: the row trigger's check, made set-based
    assertThatThrownBy(() -> transactions.inTransaction(tx -> tx.fetch(
        "SELECT credit_apply_legs(ARRAY[gen_random_uuid()], ARRAY[(SELECT id FROM credit_transfers LIMIT 1)],"
            + " ARRAY[?::uuid], ARRAY[5::bigint])", account)))
        .isInstanceOfSatisfying(DataAccessException.class,
            e -> assertThat(Transactions.sqlState(e)).isEqualTo("23514"));
    // and a posting after it in the same transaction still goes through the row trigger
    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      holds.captureAllWithin(tx, List.of(
          new JobHolds.SoleCapture(placed.jobs().get(1), user, null, new CreditAmount(25_000))));
      String balance = "SELECT balance FROM credit_accounts WHERE id = ?";
      long balanceBefore = tx.fetchSingle(balance, account).get(0, Long.class);
      var leg = tx.fetchSingle("SELECT entry_seq, entry_balance_after FROM credit_post(gen_random_uuid(), ?, ?, 5,"
          + " 'ADJUSTMENT', 'ADMIN', ?, 'guard-test', 'test', gen_random_uuid(), gen_random_uuid())",
          SystemAccounts.ADJUSTMENTS, account, account);
      assertThat(leg.get(0, Long.class)).isNotNull();
      assertThat(leg.get(1, Long.class)).isEqualTo(balanceBefore + 5);
      assertThat(tx.fetchSingle(balance, account).get(0, Long.class)).isEqualTo(balanceBefore + 5);
      throw new IllegalStateException("rolled back");
    })).hasMessageContaining("rolled back");

    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  /**
   * The transfers a hold's key references, as (description, amount, debited, credited), the
   * accounts named by their role in the scenario so two scenarios compare.
   */
  private static List<String> postings(Placed placed, UUID job) {
    Map<UUID, String> roles = new HashMap<>();
    for (int u = 0; u < placed.users().size(); u++) {
      roles.put(accountOf(placed.users().get(u), "USER"), "user" + u);
    }
    for (int o = 0; o < placed.operators().size(); o++) {
      UUID account = accountOf(placed.operators().get(o), "OPERATOR_EARNINGS");
      if (account != null) {
        roles.put(account, "operator" + o);
      }
    }
    List<String> postings = new ArrayList<>(database.dsl().fetch("""
            SELECT t.description, t.amount, t.debit_account_id, t.credit_account_id, d.kind, c.kind
              FROM credit_transfers t
              JOIN credit_accounts d ON d.id = t.debit_account_id JOIN credit_accounts c ON c.id = t.credit_account_id
             WHERE t.reference_id = ?""", job.toString())
        .map(row -> row.get(0) + " " + row.get(1) + " " + roleOf(roles, row.get(2, UUID.class), row.get(4, String.class))
            + " -> " + roleOf(roles, row.get(3, UUID.class), row.get(5, String.class))));
    // a batched capture's shares are owed by its settlement row (paid later, many jobs at once)
    database.dsl().fetchOptional("""
            SELECT s.operator_share, s.operator_account_id, s.platform_share, p.kind
              FROM credit_settlements s JOIN credit_accounts p ON p.id = s.platform_account_id
             WHERE s.hold_key = ?""", job)
        .ifPresent(row -> {
          if (row.get(0, Long.class) > 0) {
            postings.add("Operator earnings " + row.get(0) + " JOB_HOLDS -> "
                + roleOf(roles, row.get(1, UUID.class), "OPERATOR_EARNINGS"));
          }
          if (row.get(2, Long.class) > 0) {
            postings.add("Platform fee " + row.get(2) + " JOB_HOLDS -> " + row.get(3));
          }
        });
    postings.sort(null);
    return postings;
  }

  private static String roleOf(Map<UUID, String> roles, UUID account, String kind) {
    return roles.getOrDefault(account, kind);
  }

  private static UUID accountOf(UUID owner, String kind) {
    return database.dsl().fetchOptional("SELECT id FROM credit_accounts WHERE owner_id = ? AND kind = ?", owner, kind)
        .map(row -> row.get(0, UUID.class)).orElse(null);
  }

  private static String holdRow(UUID job) {
    var row = database.dsl().fetchSingle("""
        SELECT h.status, h.amount, h.captured, o.kind, h.usage_entry_id IS NOT NULL, h.resolved_at IS NOT NULL
          FROM credit_holds h LEFT JOIN credit_accounts o ON o.id = h.operator_account_id WHERE h.job_id = ?""", job);
    return row.intoList().toString();
  }
}
