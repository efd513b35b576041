package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * reliability.md F28: a transaction that took a lower sequence number but commits late must
 * not be skipped by a sealer. The horizon waits for it instead of moving past it.
 */
class LedgerSealHorizonTest {

  private static Database database;
  private static CreditService credits;
  private static LedgerSealHorizon horizon;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 8);
    credits = new CreditService(database.dsl());
    horizon = new LedgerSealHorizon(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @Test
  void anEmptyLedgerIsSealableThroughZeroOrItsLastEntry() {
    OptionalLong through = horizon.sealableThrough(Duration.ofSeconds(5));
    assertThat(through).isPresent();
    long last = database.dsl().fetchSingle("SELECT COALESCE(MAX(seq), 0) FROM credit_entries").get(0, Long.class);
    assertThat(through.getAsLong()).isEqualTo(last);
  }

  @Test
  void aLateCommittingEntryHoldsTheHorizonBackUntilItCommits() throws Exception {
    UUID slowUser = UUID.randomUUID();
    UUID fastUser = UUID.randomUUID();
    credits.adjust(slowUser, CreditAmount.ofCredits(10), "seed", "grant");
    credits.adjust(fastUser, CreditAmount.ofCredits(10), "seed", "grant");
    UUID slowAccount = accountOf(slowUser);

    try (Connection slow = database.dataSource().getConnection()) {
      slow.setAutoCommit(false);
      UUID transfer = UUID.randomUUID();
      long slowSeq;
      try (Statement statement = slow.createStatement()) {
        statement.execute("INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,"
            + " reference_account_id) VALUES ('" + transfer + "', '" + slowAccount + "', '"
            + SystemAccounts.PLATFORM_REVENUE + "', 10000, 'USAGE', 'CLIENT', '" + slowAccount + "')");
        try (ResultSet legs = statement.executeQuery("INSERT INTO credit_entries (id, transfer_id, account_id, amount)"
            + " VALUES ('" + UUID.randomUUID() + "', '" + transfer + "', '" + slowAccount + "', -10000) RETURNING seq")) {
          legs.next();
          slowSeq = legs.getLong(1);
        }
      }
      // The fast transaction commits a higher number while the slow one is still open...
      LedgerEntry fast = credits.deduct(fastUser, Deduction.of("1", "fast", ""));
      assertThat(fast.sequence()).isGreaterThan(slowSeq);
      assertThat(database.dsl().fetchSingle("SELECT count(*) FROM credit_entries WHERE seq = ?", slowSeq)
          .get(0, Integer.class)).as("invisible until commit").isZero();
      // ...so no horizon at or above the slow number may be announced yet.
      OptionalLong whileOpen = horizon.sealableThrough(Duration.ofMillis(200));
      assertThat(whileOpen.isEmpty() || whileOpen.getAsLong() < slowSeq).isTrue();

      try (Statement statement = slow.createStatement()) {
        statement.execute("INSERT INTO credit_entries (id, transfer_id, account_id, amount) VALUES ('" + UUID.randomUUID()
            + "', '" + transfer + "', '" + SystemAccounts.PLATFORM_REVENUE + "', 10000)");
      }
      slow.commit();
    }

    OptionalLong after = horizon.sealableThrough(Duration.ofSeconds(5));
    assertThat(after).isPresent();
    long sealable = after.getAsLong();
    // Everything at or below the horizon is now final and visible, without gaps in what is visible.
    long visibleBelow = database.dsl().fetchSingle("SELECT count(*) FROM credit_entries WHERE seq <= ?", sealable)
        .get(0, Long.class);
    long maxVisible = database.dsl().fetchSingle("SELECT max(seq) FROM credit_entries").get(0, Long.class);
    assertThat(sealable).isGreaterThanOrEqualTo(maxVisible);
    assertThat(visibleBelow).isEqualTo(database.dsl().fetchSingle("SELECT count(*) FROM credit_entries").get(0, Long.class));
    assertLedgerInvariants(database.dsl());
  }

  @Test
  void rolledBackNumbersAreGapsThatNeverFillLater() throws Exception {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(10), "seed", "grant");
    UUID account = accountOf(user);
    long rolledBack;
    try (Connection connection = database.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      UUID transfer = UUID.randomUUID();
      try (Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,"
            + " reference_account_id) VALUES ('" + transfer + "', '" + account + "', '"
            + SystemAccounts.PLATFORM_REVENUE + "', 10000, 'USAGE', 'CLIENT', '" + account + "')");
        try (ResultSet legs = statement.executeQuery("INSERT INTO credit_entries (id, transfer_id, account_id, amount)"
            + " VALUES ('" + UUID.randomUUID() + "', '" + transfer + "', '" + account + "', -10000) RETURNING seq")) {
          legs.next();
          rolledBack = legs.getLong(1);
        }
      }
      connection.rollback();
    }
    long sealable = horizon.sealableThrough(Duration.ofSeconds(5)).orElseThrow();
    assertThat(sealable).isGreaterThanOrEqualTo(rolledBack);
    LedgerEntry next = credits.deduct(user, Deduction.of("1", "after-gap", ""));
    assertThat(next.sequence()).isGreaterThan(sealable);
    assertThat(database.dsl().fetchSingle("SELECT count(*) FROM credit_entries WHERE seq = ?", rolledBack)
        .get(0, Integer.class)).isZero();
    assertLedgerInvariants(database.dsl());
  }

  private static UUID accountOf(UUID user) {
    return database.dsl().fetchSingle("SELECT id FROM credit_accounts WHERE owner_id = ? AND kind = 'USER'", user)
        .get(0, UUID.class);
  }
}
