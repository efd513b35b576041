package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.TestInfrastructure;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code credit_holds_place_all} (V20): a batch of holds of many users places, for each user, its
 * jobs in order while they fit the user's available credits, and refuses the rest without writing
 * anything for them; each account's held amount moves by exactly what was placed on it.
 */
class BatchedHoldPlacementTest {

  private static Database database;
  private static CreditService credits;
  private static JobHolds holds;
  private static Transactions transactions;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    credits = new CreditService(database.dsl());
    holds = new JobHolds(database.dsl(), 70);
    transactions = new Transactions(database.dsl());
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
  void eachUserHoldsItsJobsInOrderWhileTheyFitAndNothingIsWrittenForTheRest() {
    UUID rich = funded(100);
    UUID short1 = funded(3);
    UUID noAccount = UUID.randomUUID();
    List<JobHolds.Placing> batch = List.of(
        placing(short1, 2), placing(rich, 30), placing(short1, 2), placing(noAccount, 1), placing(rich, 70),
        placing(short1, 1), placing(rich, 1));

    List<Boolean> held = transactions.inTransaction(tx -> holds.holdAllWithin(tx, batch));

    // short1: 2 fits, the next 2 does not, and the 1 after it is refused too (the one-by-one path decides it)
    assertThat(held).containsExactly(true, true, false, false, true, false, false);
    assertThat(credits.available(rich)).isEqualTo(CreditAmount.ZERO);
    assertThat(credits.balance(rich)).isEqualTo(CreditAmount.ofCredits(100));
    assertThat(credits.available(short1)).isEqualTo(CreditAmount.ofCredits(1));
    for (int i = 0; i < batch.size(); i++) {
      assertThat(holds.find(batch.get(i).jobId()).isPresent()).as("hold " + i).isEqualTo(held.get(i));
    }
    holds.find(batch.get(1).jobId()).ifPresent(hold -> {
      assertThat(hold.status()).isEqualTo(HoldStatus.ACTIVE);
      assertThat(hold.amount()).isEqualTo(CreditAmount.ofCredits(30));
      assertThat(hold.userId()).isEqualTo(rich);
    });

    // what the batch refused, the single placement answers exactly
    assertThatThrownBy(() -> holds.hold(batch.get(2).jobId(), short1, CreditAmount.ofCredits(2)))
        .isInstanceOfSatisfying(DomainException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS));
    assertThat(holds.hold(batch.get(5).jobId(), short1, CreditAmount.ofCredits(1)).status())
        .isEqualTo(HoldStatus.ACTIVE);
    assertThat(credits.available(short1)).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void aJobThatHasAHoldIsRefusedAndItsHoldIsLeftAlone() {
    UUID user = funded(10);
    UUID job = UUID.randomUUID();
    holds.hold(job, user, CreditAmount.ofCredits(4));

    List<Boolean> held = transactions.inTransaction(tx -> holds.holdAllWithin(tx, List.of(
        new JobHolds.Placing(job, user, CreditAmount.ofCredits(4)), placing(user, 1))));

    assertThat(held).containsExactly(false, false);
    assertThat(credits.available(user)).isEqualTo(CreditAmount.ofCredits(6));
    assertThat(holds.find(job).orElseThrow().amount()).isEqualTo(CreditAmount.ofCredits(4));
  }

  @Test
  void theSameJobTwiceInOneBatchIsRefusedBothTimes() {
    UUID user = funded(10);
    JobHolds.Placing once = placing(user, 1);

    List<Boolean> held = transactions.inTransaction(tx -> holds.holdAllWithin(tx, List.of(once, once)));

    assertThat(held).containsExactly(false, false);
    assertThat(credits.available(user)).isEqualTo(CreditAmount.ofCredits(10));
  }

  private static JobHolds.Placing placing(UUID user, long credits) {
    return new JobHolds.Placing(UUID.randomUUID(), user, CreditAmount.ofCredits(credits));
  }

  private static UUID funded(long amount) {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(amount), "seed", "grant");
    return user;
  }
}
