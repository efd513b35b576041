package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bank test on one account (reliability.md L4): concurrency never overdraws or double-applies. */
class DeductConcurrencyTest {

  private static Database database;
  private static CreditService credits;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 32);
    credits = new CreditService(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  private enum Result { OK, INSUFFICIENT, CONFLICT }

  @Test
  void twoHundredConcurrentDeductsAgainstFiftyLeaveExactlyFiftyAndZero() throws Exception {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(50), "seed", "grant");

    GroupCommit.Written before = credits.batchedDeductions();
    List<Result> results = race(200, i -> credits.deduct(user, Deduction.of("1", "d-" + i, "")));

    GroupCommit.Written batched = credits.batchedDeductions().since(before);
    assertThat(batched.items()).as("every deduction answered by a batch").isEqualTo(200);
    assertThat(batched.batches()).as("concurrent deductions share batches").isLessThan(200);
    assertThat(results.stream().filter(r -> r == Result.OK)).hasSize(50);
    assertThat(results.stream().filter(r -> r == Result.INSUFFICIENT)).hasSize(150);
    assertThat(credits.balance(user)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(51);
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void concurrentRetriesOfOneReferenceDeductOnce() throws Exception {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(100), "seed", "grant");

    List<LedgerEntry> entries = Collections.synchronizedList(new ArrayList<>());
    List<Result> results = race(50, i -> entries.add(credits.deduct(user, Deduction.of("3", "same-key", ""))));

    assertThat(results).containsOnly(Result.OK);
    assertThat(entries.stream().map(LedgerEntry::id).distinct()).hasSize(1);
    assertThat(credits.balance(user).toWire()).isEqualTo("97.0000");
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void concurrentDifferentAmountsOnOneReferenceApplyOneAndConflictTheRest() throws Exception {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(1000), "seed", "grant");

    List<Result> results = race(20, i -> credits.deduct(user, Deduction.of(Integer.toString(i + 1), "contested", "")));

    assertThat(results.stream().filter(r -> r == Result.OK)).hasSize(1);
    assertThat(results.stream().filter(r -> r == Result.CONFLICT)).hasSize(19);
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(2);
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void manyUsersInParallelKeepEveryBalanceExact() throws Exception {
    List<UUID> users = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      UUID user = UUID.randomUUID();
      credits.adjust(user, CreditAmount.ofCredits(20), "seed", "grant");
      users.add(user);
    }
    List<Result> results = race(240, i -> credits.deduct(users.get(i % 8), Deduction.of("1", "parallel-" + i, "")));
    assertThat(results.stream().filter(r -> r == Result.OK)).hasSize(160);
    users.forEach(user -> assertThat(credits.balance(user)).isEqualTo(CreditAmount.ZERO));
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void aBatchAnswersEachDeductionAsIfItRanAloneInBatchOrder() {
    UUID user = UUID.randomUUID();
    UUID stranger = UUID.randomUUID(); // no account yet
    credits.adjust(user, CreditAmount.ofCredits(10), "seed", "grant");
    LedgerStore store = new LedgerStore();
    List<LedgerStore.Debit> debits = store.debitUsers(database.dsl(), List.of(
        debit(user, "4", "first"),
        debit(user, "4", "first"), // the batch's own earlier deduction took the reference
        debit(user, "4", "second"), // 6 of 10 left: posted, 2 left
        debit(user, "4", null), // 2 left: refused, nothing written
        debit(stranger, "1", null),
        debit(user, "2", null))); // exactly what is left

    assertThat(debits).extracting(LedgerStore.Debit::outcome).containsExactly(LedgerStore.DebitOutcome.POSTED,
        LedgerStore.DebitOutcome.REFERENCE_TAKEN, LedgerStore.DebitOutcome.POSTED,
        LedgerStore.DebitOutcome.INSUFFICIENT, LedgerStore.DebitOutcome.NO_ACCOUNT, LedgerStore.DebitOutcome.POSTED);
    assertThat(debits).extracting(debit -> debit.available().toWire())
        .containsExactly("10.0000", "6.0000", "6.0000", "2.0000", "0.0000", "2.0000");
    assertThat(debits).extracting(debit -> debit.userLeg().map(leg -> leg.balanceAfter().toWire()).orElse("-"))
        .containsExactly("6.0000", "-", "2.0000", "-", "-", "0.0000");
    assertThat(credits.balance(user)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.history(user, 0, 0).total()).as("the grant and three deductions").isEqualTo(4);
    assertThat(credits.balance(stranger)).isEqualTo(CreditAmount.ZERO);
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void aBatchThatLostItsConnectionLeavesADeductionWithAReferenceToRunAloneAndOneWithoutIs503() throws Exception {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(10), "seed", "grant");
    Deduction withReference = Deduction.of("1", "lost-batch", "");
    Deduction withoutReference = new Deduction(CreditAmount.ofCredits(2), Optional.empty(), Optional.empty());

    LedgerEntry alone = deductWhileTheBatchIsKilled(user, withReference).get(30, TimeUnit.SECONDS);
    assertThat(alone.balanceAfter()).isEqualTo(CreditAmount.ofCredits(9));
    assertThat(credits.deduct(user, withReference).id()).as("a replay of it").isEqualTo(alone.id());

    Future<LedgerEntry> unknown = deductWhileTheBatchIsKilled(user, withoutReference);
    assertThatThrownBy(() -> unknown.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(DomainException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.DEPENDENCY_UNAVAILABLE));
    assertThat(credits.balance(user)).as("the killed batch wrote nothing").isEqualTo(CreditAmount.ofCredits(9));
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(2);
    assertLedgerInvariants(database.dsl());
  }

  /**
   * Starts {@code deduction} while the user's account is locked, so that its batch waits for the
   * lock, then terminates the batch's database session and lets go of the lock.
   */
  private static Future<LedgerEntry> deductWhileTheBatchIsKilled(UUID user, Deduction deduction) throws Exception {
    ExecutorService thread = Executors.newVirtualThreadPerTaskExecutor();
    try (Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(
          "SELECT 1 FROM credit_accounts WHERE owner_id = ? AND kind = 'USER' FOR UPDATE")) {
        lock.setObject(1, user);
        lock.executeQuery().close();
      }
      Future<LedgerEntry> deducted = thread.submit(() -> credits.deduct(user, deduction));
      // from another session: a transaction sees pg_stat_activity as it was at its first look
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int killed = 0;
      while (killed == 0 && System.nanoTime() < deadline) {
        killed = database.dsl().fetchSingle("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%credit_debit_users(%'""")
            .get(0, Integer.class);
        Thread.sleep(10);
      }
      assertThat(killed).as("the batch's session, waiting for the account").isEqualTo(1);
      holder.rollback();
      return deducted;
    } finally {
      thread.shutdown();
    }
  }

  private static LedgerStore.UserDebit debit(UUID user, String credits, String reference) {
    return new LedgerStore.UserDebit(user, SystemAccounts.platformRevenueFor(user), CreditAmount.ofCredits(Long.parseLong(credits)),
        EntrySource.USAGE, ReferenceOrigin.CLIENT, Optional.ofNullable(reference), Optional.empty());
  }

  interface Attempt {
    void run(int index);
  }

  /** Starts {@code count} attempts at once (virtual threads behind a latch) and classifies each outcome. */
  private static List<Result> race(int count, Attempt attempt) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Result>> futures = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        int index = i;
        Callable<Result> task = () -> {
          start.await();
          try {
            attempt.run(index);
            return Result.OK;
          } catch (DomainException e) {
            if (e.reason() == Reason.INSUFFICIENT_CREDITS) {
              return Result.INSUFFICIENT;
            }
            if (e.reason() == Reason.IDEMPOTENCY_CONFLICT) {
              return Result.CONFLICT;
            }
            throw e;
          }
        };
        futures.add(threads.submit(task));
      }
      start.countDown();
      List<Result> results = new ArrayList<>();
      for (Future<Result> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    }
  }
}
