package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.TestInfrastructure;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Balance, history, deductions and adjustments against real PostgreSQL. */
class CreditServiceTest {

  private static Database database;
  private static CreditService credits;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 8);
    credits = new CreditService(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @AfterEach
  void ledgerStillSound() {
    assertLedgerInvariants(database.dsl());
  }

  private static UUID fundedUser(long credits) {
    UUID user = UUID.randomUUID();
    CreditServiceTest.credits.adjust(user, CreditAmount.ofCredits(credits), "seed", "Welcome grant");
    return user;
  }

  private static Deduction deduction(String amount, String reference) {
    return Deduction.of(amount, reference, "Manual adjustment");
  }

  @Test
  void aNewUserHasZeroAndNoAccountIsOpenedByReading() {
    UUID user = UUID.randomUUID();
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThat(credits.balance(user)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.available(user)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.history(user, 0, 0)).isEqualTo(new HistoryPage(List.of(), 0));
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void deductionDebitsTheUserAndCreditsPlatformRevenue() {
    UUID user = fundedUser(100);
    CreditAmount revenueBefore = kindBalance("PLATFORM_REVENUE");

    LedgerEntry entry = credits.deduct(user, deduction("10.0000", "manual-001"));

    assertThat(entry.amount().toWire()).isEqualTo("10.0000");
    assertThat(entry.direction()).isEqualTo(Direction.DEBIT);
    assertThat(entry.source()).isEqualTo(EntrySource.USAGE);
    assertThat(entry.referenceId()).contains("manual-001");
    assertThat(entry.description()).contains("Manual adjustment");
    assertThat(entry.balanceAfter().toWire()).isEqualTo("90.0000");
    assertThat(entry.createdAt()).isBetween(Instant.now().minus(Duration.ofMinutes(1)), Instant.now().plusSeconds(1));
    assertThat(credits.balance(user).toWire()).isEqualTo("90.0000");
    assertThat(kindBalance("PLATFORM_REVENUE")).isEqualTo(revenueBefore.plus(CreditAmount.ofCredits(10)));
    assertThat(accountBalance(SystemAccounts.platformRevenueFor(user)).units()).isGreaterThanOrEqualTo(100_000);
  }

  @Test
  void insufficientCreditsIs402WithAvailableAndRequestedAndWritesNothing() {
    UUID user = fundedUser(5);
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());

    assertThatThrownBy(() -> credits.deduct(user, deduction("5.0001", "too-much")))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
          assertThat(e.metadata()).containsEntry("available", "5.0000").containsEntry("requested", "5.0001");
        });
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void aUserWithoutAccountGets402WithZeroAvailableAndNoAccount() {
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThatThrownBy(() -> credits.deduct(UUID.randomUUID(), deduction("1", "no-account")))
        .isInstanceOfSatisfying(DomainException.class,
            e -> assertThat(e.metadata()).containsEntry("available", "0.0000").containsEntry("requested", "1.0000"));
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void theWholeBalanceCanBeSpentToExactlyZero() {
    UUID user = fundedUser(3);
    credits.deduct(user, deduction("3", "everything"));
    assertThat(credits.balance(user)).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void sameReferenceAndAmountReturnsTheFirstEntryOnce() {
    UUID user = fundedUser(100);
    LedgerEntry first = credits.deduct(user, deduction("10", "retry-me"));
    LedgerEntry again = credits.deduct(user, deduction("10.0000", "retry-me"));

    assertThat(again).isEqualTo(first);
    assertThat(credits.balance(user).toWire()).isEqualTo("90.0000");
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(2); // the grant and one deduction
  }

  @Test
  void aRetryAfterTheMoneyRanOutStillReturnsTheFirstEntry() {
    UUID user = fundedUser(10);
    LedgerEntry first = credits.deduct(user, deduction("10", "all-of-it"));
    assertThat(credits.deduct(user, deduction("10", "all-of-it"))).isEqualTo(first);
  }

  @Test
  void sameReferenceWithAnotherAmountIs409AndWritesNothing() {
    UUID user = fundedUser(100);
    credits.deduct(user, deduction("10", "once"));
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());

    assertThatThrownBy(() -> credits.deduct(user, deduction("11", "once")))
        .isInstanceOfSatisfying(DomainException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void differentUsersMayUseTheSameReference() {
    UUID alice = fundedUser(50);
    UUID bob = fundedUser(50);
    LedgerEntry fromAlice = credits.deduct(alice, deduction("5", "shared-ref"));
    LedgerEntry fromBob = credits.deduct(bob, deduction("7", "shared-ref"));

    assertThat(fromBob.id()).isNotEqualTo(fromAlice.id());
    assertThat(credits.balance(alice).toWire()).isEqualTo("45.0000");
    assertThat(credits.balance(bob).toWire()).isEqualTo("43.0000");
  }

  @Test
  void aDeductionWithoutReferenceIs422AndWritesNothing() {
    UUID user = fundedUser(10);
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThatThrownBy(() -> credits.deduct(user, deduction("1", "")))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
          assertThat(e.metadata()).containsEntry("field", "reference_id");
        });
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void differentReferencesDeductAgain() {
    UUID user = fundedUser(10);
    credits.deduct(user, deduction("1", "first"));
    credits.deduct(user, deduction("1", "second"));
    assertThat(credits.balance(user).toWire()).isEqualTo("8.0000");
  }

  @Test
  void aReferenceIsPerSourceAndOrigin() {
    UUID user = fundedUser(10); // the grant used reference "seed" (ADJUSTMENT, ADMIN)
    LedgerEntry usage = credits.deduct(user, deduction("1", "seed"));
    assertThat(usage.source()).isEqualTo(EntrySource.USAGE);
    assertThat(credits.balance(user).toWire()).isEqualTo("9.0000");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0|amount", "-5|amount", "1.00001|amount", "ten|amount", "''|amount", "1e2|amount"})
  void invalidAmountsAre422AndWriteNothing(String amount, String field) {
    UUID user = fundedUser(10);
    LedgerSnapshot before = LedgerSnapshot.take(database.dsl());
    assertThatThrownBy(() -> credits.deduct(user, Deduction.of(amount, "r", "d")))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
          assertThat(e.metadata()).containsEntry("field", field);
        });
    assertThat(LedgerSnapshot.take(database.dsl())).isEqualTo(before);
  }

  @Test
  void badReferencesAndDescriptionsAre422() {
    for (String reference : List.of("x".repeat(256), "tab\there", "nul\u0000", "   ", "line\nbreak")) {
      assertThatThrownBy(() -> Deduction.of("1", reference, ""))
          .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.metadata()).containsEntry("field", "reference_id"));
    }
    assertThatThrownBy(() -> Deduction.of("1", "ok", "d".repeat(501)))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.metadata()).containsEntry("field", "description"));
    assertThat(Deduction.of("1", "x".repeat(255), "multi\nline\tok").referenceId()).isPresent();
  }

  @Test
  void injectionLookingTextIsStoredVerbatim() {
    UUID user = fundedUser(10);
    String reference = "'; DROP TABLE credit_entries; --";
    LedgerEntry entry = credits.deduct(user, Deduction.of("1", reference, "Robert'); --"));
    assertThat(entry.referenceId()).contains(reference);
    assertThat(credits.history(user, 1, 0).entries().getFirst().description()).contains("Robert'); --");
  }

  @Test
  void historyIsNewestFirstWithRunningBalancesAndTotalCount() {
    UUID user = fundedUser(100);
    for (int i = 1; i <= 5; i++) {
      credits.deduct(user, deduction(i + ".5", "h" + i));
    }
    HistoryPage all = credits.history(user, 0, 0);
    assertThat(all.total()).isEqualTo(6);
    assertThat(all.entries()).extracting(e -> e.amount().toWire())
        .containsExactly("5.5000", "4.5000", "3.5000", "2.5000", "1.5000", "100.0000");
    assertThat(all.entries()).extracting(e -> e.balanceAfter().toWire())
        .containsExactly("82.5000", "88.0000", "92.5000", "96.0000", "98.5000", "100.0000");
    assertThat(all.entries().getLast().direction()).isEqualTo(Direction.CREDIT);
    assertThat(all.entries().getLast().source()).isEqualTo(EntrySource.ADJUSTMENT);
    assertThat(all.entries()).extracting(LedgerEntry::sequence).isSortedAccordingTo((a, b) -> Long.compare(b, a));

    HistoryPage page = credits.history(user, 2, 1);
    assertThat(page.total()).isEqualTo(6);
    assertThat(page.entries()).extracting(e -> e.referenceId().orElseThrow()).containsExactly("h4", "h3");
    assertThat(credits.history(user, 10, 6).entries()).isEmpty();
  }

  @Test
  void historyDefaultsTo50AndCapsAt200() {
    UUID user = fundedUser(1000);
    for (int i = 0; i < 60; i++) {
      credits.deduct(user, deduction("0.0001", "page-" + i));
    }
    assertThat(credits.history(user, 0, 0).entries()).hasSize(50);
    assertThat(credits.history(user, 200, 0).entries()).hasSize(61);
    assertThat(credits.history(user, 0, 0).total()).isEqualTo(61);
  }

  @ParameterizedTest
  @CsvSource({"201,0,limit", "-1,0,limit", "10,-1,offset", "2147483647,0,limit", "0,-2147483648,offset"})
  void badPagingIs422(int limit, int offset, String field) {
    assertThatThrownBy(() -> credits.history(UUID.randomUUID(), limit, offset))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
          assertThat(e.metadata()).containsEntry("field", field);
        });
  }

  @Test
  void aUserSeesOnlyTheirOwnEntries() {
    UUID alice = fundedUser(10);
    UUID bob = fundedUser(10);
    credits.deduct(alice, deduction("1", "alice-only"));
    assertThat(credits.history(bob, 0, 0).entries()).noneMatch(e -> e.referenceId().equals(Optional.of("alice-only")));
    assertThat(credits.history(bob, 0, 0).total()).isEqualTo(1);
  }

  @Test
  void negativeAdjustmentsDebitAndCannotOverdraw() {
    UUID user = fundedUser(10);
    LedgerEntry debit = credits.adjust(user, CreditAmount.ofCredits(-4), "fix-1", "Correction");
    assertThat(debit.direction()).isEqualTo(Direction.DEBIT);
    assertThat(debit.source()).isEqualTo(EntrySource.ADJUSTMENT);
    assertThat(credits.balance(user).toWire()).isEqualTo("6.0000");
    assertThatThrownBy(() -> credits.adjust(user, CreditAmount.ofCredits(-7), "fix-2", "Too much"))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS));
    assertThat(credits.adjust(user, CreditAmount.ofCredits(-4), "fix-1", "Correction")).isEqualTo(debit);
    assertThatThrownBy(() -> credits.adjust(user, CreditAmount.ofCredits(4), "fix-1", "Flipped"))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IDEMPOTENCY_CONFLICT));
  }

  private static CreditAmount kindBalance(String kind) {
    return new CreditAmount(database.dsl().fetchSingle("SELECT SUM(balance) FROM credit_accounts WHERE kind = ?", kind)
        .get(0, Long.class));
  }

  private static CreditAmount accountBalance(UUID account) {
    return new CreditAmount(database.dsl().fetchSingle("SELECT balance FROM credit_accounts WHERE id = ?", account)
        .get(0, Long.class));
  }
}
