package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.TestInfrastructure;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jobs flow's two-phase money movement: hold, capture with the operator split, release. */
class JobHoldsTest {

  private static Database database;
  private static CreditService credits;
  private static JobHolds holds;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 32);
    credits = new CreditService(database.dsl());
    holds = new JobHolds(database.dsl(), 70);
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @AfterEach
  void ledgerStillSound() {
    assertLedgerInvariants(database.dsl());
  }

  private static UUID fundedUser(long amount) {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(amount), "seed", "grant");
    return user;
  }

  @Test
  void aHoldReducesAvailableButNotTheBalanceAndPostsNothing() {
    UUID user = fundedUser(20);
    UUID job = UUID.randomUUID();
    int entriesBefore = credits.history(user, 0, 0).total();

    Hold hold = holds.hold(job, user, CreditAmount.ofCredits(10));

    assertThat(hold.status()).isEqualTo(HoldStatus.ACTIVE);
    assertThat(credits.balance(user).toWire()).isEqualTo("20.0000");
    assertThat(credits.available(user).toWire()).isEqualTo("10.0000");
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(entriesBefore);
    assertThat(holds.find(job)).contains(hold);
  }

  @Test
  void holdsCountAgainstDeductionsAndNewHolds() {
    UUID user = fundedUser(20);
    holds.hold(UUID.randomUUID(), user, CreditAmount.ofCredits(15));

    assertThatThrownBy(() -> credits.deduct(user, Deduction.of("6", "over-the-hold", "")))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
          assertThat(e.metadata()).containsEntry("available", "5.0000").containsEntry("requested", "6.0000");
        });
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThatThrownBy(() -> holds.hold(UUID.randomUUID(), user, CreditAmount.ofCredits(6)))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS));
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
    credits.deduct(user, Deduction.of("5", "the-rest", ""));
    assertThat(credits.available(user)).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void captureDebitsOneUsageRowAndSplitsSeventyThirty() {
    UUID user = fundedUser(100);
    UUID operator = UUID.randomUUID();
    UUID job = UUID.randomUUID();
    CreditAmount revenueBefore = kindBalance("PLATFORM_REVENUE");
    holds.hold(job, user, CreditAmount.ofCredits(10));

    Hold captured = holds.capture(job, operator);

    assertThat(captured.status()).isEqualTo(HoldStatus.CAPTURED);
    assertThat(captured.operatorId()).contains(operator);
    assertThat(credits.balance(user).toWire()).isEqualTo("90.0000");
    assertThat(credits.available(user).toWire()).isEqualTo("90.0000");
    LedgerEntry usage = credits.history(user, 1, 0).entries().getFirst();
    assertThat(usage.id()).isEqualTo(captured.usageEntryId().orElseThrow());
    assertThat(usage.source()).isEqualTo(EntrySource.USAGE);
    assertThat(usage.direction()).isEqualTo(Direction.DEBIT);
    assertThat(usage.amount().toWire()).isEqualTo("10.0000");
    assertThat(usage.referenceId()).contains(job.toString());
    assertThat(operatorEarnings(operator).toWire()).isEqualTo("7.0000");
    assertThat(kindBalance("PLATFORM_REVENUE")).isEqualTo(revenueBefore.plus(CreditAmount.ofCredits(3)));
    assertThat(kindBalance("JOB_HOLDS")).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void theSplitIsConfigurableAndRoundsDownForTheOperator() {
    JobHolds half = new JobHolds(database.dsl(), 55);
    UUID user = fundedUser(1);
    UUID operator = UUID.randomUUID();
    UUID job = UUID.randomUUID();
    CreditAmount revenueBefore = kindBalance("PLATFORM_REVENUE");
    half.hold(job, user, new CreditAmount(3)); // 0.0003 credits
    half.capture(job, operator);
    assertThat(operatorEarnings(operator).units()).isEqualTo(1);
    assertThat(kindBalance("PLATFORM_REVENUE").minus(revenueBefore).units()).isEqualTo(2);

    JobHolds allToOperator = new JobHolds(database.dsl(), 100);
    UUID job2 = UUID.randomUUID();
    allToOperator.hold(job2, user, new CreditAmount(5));
    allToOperator.capture(job2, operator);
    assertThat(operatorEarnings(operator).units()).isEqualTo(6);
    assertThatThrownBy(() -> new JobHolds(database.dsl(), 101)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyStepIsIdempotentByJobId() {
    UUID user = fundedUser(30);
    UUID operator = UUID.randomUUID();
    UUID job = UUID.randomUUID();
    Hold first = holds.hold(job, user, CreditAmount.ofCredits(10));
    assertThat(holds.hold(job, user, CreditAmount.ofCredits(10))).isEqualTo(first);
    assertThat(credits.available(user).toWire()).isEqualTo("20.0000");

    Hold captured = holds.capture(job, operator);
    assertThat(holds.capture(job, operator)).isEqualTo(captured);
    assertThat(holds.hold(job, user, CreditAmount.ofCredits(10)).status()).isEqualTo(HoldStatus.CAPTURED);
    assertThat(credits.balance(user).toWire()).isEqualTo("20.0000");
    assertThat(operatorEarnings(operator).toWire()).isEqualTo("7.0000");
  }

  @Test
  void releaseReturnsTheHoldAndRepeatsAreNoOps() {
    UUID user = fundedUser(10);
    UUID job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ofCredits(10));
    Hold released = holds.release(job);
    assertThat(released.status()).isEqualTo(HoldStatus.RELEASED);
    assertThat(holds.release(job)).isEqualTo(released);
    assertThat(credits.available(user).toWire()).isEqualTo("10.0000");
    assertThat(credits.balance(user).toWire()).isEqualTo("10.0000");
  }

  @Test
  void aHoldResolvesOnlyOnce() {
    UUID user = fundedUser(20);
    UUID released = UUID.randomUUID();
    holds.hold(released, user, CreditAmount.ofCredits(5));
    holds.release(released);
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThatThrownBy(() -> holds.capture(released, UUID.randomUUID()))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);

    UUID captured = UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    holds.hold(captured, user, CreditAmount.ofCredits(5));
    holds.capture(captured, operator);
    assertThatThrownBy(() -> holds.release(captured))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
    assertThatThrownBy(() -> holds.capture(captured, UUID.randomUUID()))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
  }

  @Test
  void aJobIdCannotBeReusedForAnotherAmountOrUser() {
    UUID user = fundedUser(20);
    UUID job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ofCredits(5));
    assertThatThrownBy(() -> holds.hold(job, user, CreditAmount.ofCredits(6)))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
    assertThatThrownBy(() -> holds.hold(job, fundedUser(20), CreditAmount.ofCredits(5)))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
  }

  @Test
  void unknownJobsAre404() {
    assertThatThrownBy(() -> holds.capture(UUID.randomUUID(), UUID.randomUUID()))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    assertThatThrownBy(() -> holds.release(UUID.randomUUID()))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    assertThat(holds.find(UUID.randomUUID())).isEmpty();
  }

  @Test
  void aFreeJobHoldsAndCapturesNothing() {
    UUID user = UUID.randomUUID(); // no account yet: a zero hold opens one
    UUID job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ZERO);
    Hold captured = holds.capture(job, UUID.randomUUID());
    assertThat(captured.usageEntryId()).isEmpty();
    assertThat(credits.history(user, 0, 0).total()).isZero();
  }

  @Test
  void aClientCannotPreemptAJobsUsageWithItsReference() {
    UUID user = fundedUser(20);
    UUID job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ofCredits(5));
    credits.deduct(user, Deduction.of("1", job.toString(), "squatting the job id"));
    Hold captured = holds.capture(job, UUID.randomUUID());
    assertThat(captured.usageEntryId()).isPresent();
    assertThat(credits.balance(user).toWire()).isEqualTo("14.0000");
  }

  @Test
  void hundredConcurrentHoldsAgainstFiftyGrantExactlyFifty() throws Exception {
    UUID user = fundedUser(50);
    List<Boolean> granted = race(100, i -> holds.hold(UUID.randomUUID(), user, CreditAmount.ofCredits(1)));
    assertThat(granted.stream().filter(g -> g)).hasSize(50);
    assertThat(credits.available(user)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.balance(user).toWire()).isEqualTo("50.0000");
  }

  @Test
  void captureAndReleaseRacingOnOneJobResolveItOnce() throws Exception {
    for (int round = 0; round < 10; round++) {
      UUID user = fundedUser(10);
      UUID job = UUID.randomUUID();
      holds.hold(job, user, CreditAmount.ofCredits(10));
      UUID operator = UUID.randomUUID();
      List<Boolean> outcomes = race(6, i -> {
        if (i % 2 == 0) {
          holds.capture(job, operator);
        } else {
          holds.release(job);
        }
      });
      Hold resolved = holds.find(job).orElseThrow();
      long winners = outcomes.stream().filter(o -> o).count();
      assertThat(winners).isEqualTo(3); // all calls of the winning kind succeed (idempotent), the others conflict
      assertThat(credits.balance(user).toWire())
          .isEqualTo(resolved.status() == HoldStatus.CAPTURED ? "0.0000" : "10.0000");
      assertThat(credits.available(user)).isEqualTo(credits.balance(user));
    }
  }

  @Test
  void concurrentFirstHoldsOfOneJobByTwoUsersKeepOne() throws Exception {
    UUID job = UUID.randomUUID();
    UUID alice = fundedUser(10);
    UUID bob = fundedUser(10);
    List<Boolean> outcomes = race(2, i -> holds.hold(job, i == 0 ? alice : bob, CreditAmount.ofCredits(4)));
    assertThat(outcomes.stream().filter(o -> o)).hasSize(1);
    assertThat(credits.available(alice).plus(credits.available(bob)).toWire()).isEqualTo("16.0000");
  }

  interface Attempt {
    void run(int index);
  }

  private static List<Boolean> race(int count, Attempt attempt) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> futures = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        int index = i;
        futures.add(threads.submit(() -> {
          start.await();
          try {
            attempt.run(index);
            return true;
          } catch (DomainException e) {
            if (e.reason() == Reason.INSUFFICIENT_CREDITS || e.reason() == Reason.IDEMPOTENCY_CONFLICT) {
              return false;
            }
            throw e;
          }
        }));
      }
      start.countDown();
      List<Boolean> results = new ArrayList<>();
      for (Future<Boolean> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    }
  }

  private static CreditAmount kindBalance(String kind) {
    return new CreditAmount(database.dsl().fetchSingle("SELECT SUM(balance) FROM credit_accounts WHERE kind = ?", kind)
        .get(0, Long.class));
  }

  private static CreditAmount operatorEarnings(UUID operator) {
    return Optional.ofNullable(database.dsl().fetchOne(
            "SELECT balance FROM credit_accounts WHERE owner_id = ? AND kind = 'OPERATOR_EARNINGS'", operator))
        .map(row -> new CreditAmount(row.get(0, Long.class))).orElse(CreditAmount.ZERO);
  }
}
