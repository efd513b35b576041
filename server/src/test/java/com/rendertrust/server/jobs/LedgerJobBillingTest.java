package com.rendertrust.server.jobs;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.TestInfrastructure;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jobs feature's billing on the real ledger: units, the 402 metadata, idempotency, operatorless capture. */
class LedgerJobBillingTest {

  private static Database database;
  private static LedgerJobBilling billing;
  private static JobLedger ledger;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 8);
    billing = new LedgerJobBilling(new JobHolds(database.dsl(), 70));
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

  @Test
  void aShortBalanceIs402WithAvailableAndRequestedInCreditsAndHoldsNothing() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 5_000);
    UUID job = UUID.randomUUID();
    assertThatThrownBy(() -> billing.hold(job, user, 10_000))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
          assertThat(e.metadata()).containsEntry("available", "0.5000").containsEntry("requested", "1.0000");
        });
    assertThat(ledger.hold(job)).isEmpty();
    assertThat(ledger.available(user)).isEqualTo(5_000);
  }

  @Test
  void everyCallIsIdempotentPerJobAndTheOperatorGetsSeventyPercent() {
    UUID user = UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    UUID job = UUID.randomUUID();
    billing.hold(job, user, 10_000);
    billing.hold(job, user, 10_000);
    assertThat(ledger.available(user)).isEqualTo(90_000);
    long revenue = ledger.platformRevenue();
    billing.capture(job, operator);
    billing.capture(job, operator);
    assertThat(ledger.balance(user)).isEqualTo(90_000);
    assertThat(ledger.earnings(operator)).isEqualTo(7_000);
    assertThat(ledger.platformRevenue() - revenue).isEqualTo(3_000);
  }

  @Test
  void aNodeWithoutOperatorPaysEverythingToThePlatform() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    UUID job = UUID.randomUUID();
    billing.hold(job, user, 10_000);
    long revenue = ledger.platformRevenue();
    billing.capture(job, null);
    billing.capture(job, null);
    assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.CAPTURED);
    assertThat(ledger.balance(user)).isEqualTo(90_000);
    assertThat(ledger.platformRevenue() - revenue).isEqualTo(10_000);
  }

  @Test
  void releaseReturnsTheHoldOnceAndAMissingHoldIsANoOp() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    UUID job = UUID.randomUUID();
    billing.hold(job, user, 10_000);
    billing.release(job);
    billing.release(job);
    assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.RELEASED);
    assertThat(ledger.available(user)).isEqualTo(100_000);
    billing.release(UUID.randomUUID());
  }
}
