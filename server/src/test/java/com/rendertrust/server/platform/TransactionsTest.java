package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.TestInfrastructure;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bounded retries of serialization failures and deadlocks (reliability.md F5), raised by real PostgreSQL. */
class TransactionsTest {

  private static Database database;
  private static Transactions transactions;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 2);
    transactions = new Transactions(database.dsl());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  private static void raise(org.jooq.DSLContext tx, String sqlState) {
    tx.execute("DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '" + sqlState + "'; END $$");
  }

  @Test
  void serializationFailuresAndDeadlocksRunTheWholeTransactionAgain() {
    for (String state : new String[] {"40001", "40P01"}) {
      AtomicInteger attempts = new AtomicInteger();
      String result = transactions.inTransaction(tx -> {
        if (attempts.incrementAndGet() < 3) {
          raise(tx, state);
        }
        return "done";
      });
      assertThat(result).isEqualTo("done");
      assertThat(attempts).hasValue(3);
    }
  }

  @Test
  void aRealDeadlockBetweenTwoTransactionsEndsWithBothCommitted() throws Exception {
    database.dsl().execute("CREATE TABLE deadlock_slots (id int PRIMARY KEY, taken int NOT NULL)");
    database.dsl().execute("INSERT INTO deadlock_slots VALUES (1, 0), (2, 0)");
    java.util.concurrent.CountDownLatch bothHoldOne = new java.util.concurrent.CountDownLatch(2);
    AtomicInteger attempts = new AtomicInteger();
    java.util.function.BiFunction<Integer, Integer, java.util.concurrent.Callable<Integer>> claimBoth =
        (first, second) -> () -> transactions.transactionResult(cfg -> {
          attempts.incrementAndGet();
          cfg.dsl().execute("UPDATE deadlock_slots SET taken = taken + 1 WHERE id = " + first);
          bothHoldOne.countDown();
          bothHoldOne.await(); // the second attempt finds the latch open and runs through
          return cfg.dsl().execute("UPDATE deadlock_slots SET taken = taken + 1 WHERE id = " + second);
        });
    try (var threads = java.util.concurrent.Executors.newFixedThreadPool(2)) {
      var ab = threads.submit(claimBoth.apply(1, 2));
      var ba = threads.submit(claimBoth.apply(2, 1));
      assertThat(ab.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(ba.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1);
    }
    assertThat(attempts).as("PostgreSQL broke the deadlock; the victim ran again").hasValue(3);
    assertThat(database.dsl().fetch("SELECT taken FROM deadlock_slots ORDER BY id").getValues(0, Integer.class))
        .containsExactly(2, 2);
  }

  @Test
  void retriesAreBounded() {
    AtomicInteger attempts = new AtomicInteger();
    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      attempts.incrementAndGet();
      raise(tx, "40001");
      return null;
    })).isInstanceOf(DataAccessException.class);
    assertThat(attempts).hasValue(4);
  }

  @Test
  void otherErrorsAreNotRetriedAndALostDatabaseIs503() {
    AtomicInteger attempts = new AtomicInteger();
    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      attempts.incrementAndGet();
      raise(tx, "23505");
      return null;
    })).isInstanceOf(DataAccessException.class);
    assertThat(attempts).hasValue(1);

    for (String state : new String[] {"08006", "57P01"}) {
      assertThatThrownBy(() -> transactions.singleStatement(tx -> {
        raise(tx, state);
        return null;
      })).isInstanceOfSatisfying(DomainException.class, e -> {
        assertThat(e.reason()).isEqualTo(Reason.DEPENDENCY_UNAVAILABLE);
        assertThat(e.detail()).doesNotContain("injected");
      });
    }
  }

  @Test
  void aSessionKilledBeforeItsCommitRunsAgainOnAnotherConnection() {
    database.dsl().execute("CREATE TABLE killed_writes (id int PRIMARY KEY)");
    AtomicInteger attempts = new AtomicInteger();
    int written = transactions.inTransaction(tx -> {
      tx.execute("INSERT INTO killed_writes VALUES (1)");
      if (attempts.incrementAndGet() == 1) {
        tx.fetch("SELECT pg_terminate_backend(pg_backend_pid())"); // what a failover does to a session
      }
      return tx.fetchCount(tx.selectFrom("killed_writes"));
    });
    assertThat(attempts).hasValue(2);
    assertThat(written).isEqualTo(1);
    assertThat(database.dsl().fetchCount(database.dsl().selectFrom("killed_writes"))).isEqualTo(1);
  }

  @Test
  void aSessionKilledDuringItsCommitIsNotRunAgainButIs503() {
    // A deferred trigger runs inside COMMIT: the session dies there, the outcome unknown to the client.
    database.dsl().execute("CREATE TABLE commit_kills (id int PRIMARY KEY)");
    database.dsl().execute("""
        CREATE FUNCTION kill_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$""");
    database.dsl().execute("""
        CREATE CONSTRAINT TRIGGER commit_kills_kill AFTER INSERT ON commit_kills
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kill_at_commit()""");
    AtomicInteger attempts = new AtomicInteger();
    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      attempts.incrementAndGet();
      return tx.execute("INSERT INTO commit_kills VALUES (1)");
    })).isInstanceOfSatisfying(DomainException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.DEPENDENCY_UNAVAILABLE));
    assertThat(attempts).hasValue(1);
  }

  @Test
  void repeatableReadsRunAgainAfterTheirSessionWasKilled() {
    AtomicInteger attempts = new AtomicInteger();
    int answer = transactions.repeatable(dsl -> {
      if (attempts.incrementAndGet() == 1) {
        dsl.fetch("SELECT pg_terminate_backend(pg_backend_pid())");
      }
      return dsl.fetchSingle("SELECT 42").get(0, Integer.class);
    });
    assertThat(answer).isEqualTo(42);
    assertThat(attempts).hasValue(2);
  }
}
