package com.rendertrust.server.platform;

import static com.rendertrust.server.db.Tables.INSTALLATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.db.tables.records.InstallationRecord;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jooq.Field;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Statements written once and run on the connection of the caller's jOOQ transaction, against real PostgreSQL. */
class PreparedSqlTest {

  private static Database database;
  private static Transactions transactions;

  @BeforeAll
  static void open() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 2);
    transactions = new Transactions(database.dsl());
    database.dsl().execute("""
        CREATE TABLE prepared_things (id uuid PRIMARY KEY, name text, n int, big bigint, ratio float8, flag boolean,
                                      small smallint, at timestamptz, ids uuid[], names varchar[], ns int[],
                                      bigs bigint[], ratios float8[])""");
  }

  @AfterAll
  static void close() {
    database.close();
  }

  private static final PreparedSql INSERT = new PreparedSql("""
      INSERT INTO prepared_things (id, name, n, big, ratio, flag, small, at, ids, names, ns, bigs, ratios)
      VALUES (?, CAST(? AS text), CAST(? AS int), ?, ?, ?, ?, CAST(? AS timestamptz), ?, ?, ?, ?, ?)""");
  private static final PreparedSql READ = new PreparedSql("""
      SELECT id, name, n, big, ratio, flag, small, at, ids::text, names::text, ns::text, bigs::text, ratios::text
        FROM prepared_things WHERE id = ?""");

  @Test
  void everyParameterTypeRoundTripsAndNullsStayNull() {
    UUID id = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    OffsetDateTime at = OffsetDateTime.of(2026, 12, 3, 6, 30, 0, 123_456_000, ZoneOffset.UTC);
    transactions.inTransaction(tx -> INSERT.execute(tx, id, "name", 7, 8_000_000_000L, 0.25, true, (short) 3, at,
        new UUID[] {id, other}, new String[] {"a", null}, new Integer[] {1, null}, new Long[] {2L},
        new Double[] {0.5}));
    List<String> row = READ.fetch(database.dsl(), result -> Arrays.asList(PreparedSql.uuid(result, 1).toString(),
        result.getString(2), String.valueOf(PreparedSql.integer(result, 3)), String.valueOf(result.getLong(4)),
        String.valueOf(result.getDouble(5)), String.valueOf(result.getBoolean(6)), String.valueOf(result.getShort(7)),
        PreparedSql.timestamp(result, 8).toString(), result.getString(9), result.getString(10),
        result.getString(11), result.getString(12), result.getString(13)), id).getFirst();
    assertThat(row).containsExactly(id.toString(), "name", "7", "8000000000", "0.25", "true", "3",
        "2026-12-03T06:30:00.123456Z", "{" + id + "," + other + "}", "{a,NULL}", "{1,NULL}", "{2}", "{0.5}");

    UUID empty = UUID.randomUUID();
    INSERT.execute(database.dsl(), empty, null, null, 0L, 0.0, false, (short) 0, null, null, null, null, null, null);
    List<Object> nulls = READ.fetch(database.dsl(), result -> Arrays.<Object>asList(result.getString(2),
        PreparedSql.integer(result, 3), PreparedSql.timestamp(result, 8), PreparedSql.uuid(result, 1)), empty)
        .getFirst();
    assertThat(nulls).containsExactly(null, null, null, empty);
  }

  @Test
  void itRunsInTheCallersTransactionAndRollsBackWithIt() {
    UUID id = UUID.randomUUID();
    assertThatThrownBy(() -> transactions.inTransaction(tx -> {
      INSERT.execute(tx, id, "rolled back", 1, 1L, 1.0, true, (short) 1, null, null, null, null, null, null);
      // the same transaction sees its own uncommitted row: the statement ran on its connection
      assertThat(READ.fetch(tx, result -> result.getString(2), id)).containsExactly("rolled back");
      throw new IllegalStateException("abort");
    })).hasMessage("abort");
    assertThat(READ.fetch(database.dsl(), result -> result.getString(2), id)).isEmpty();
  }

  @Test
  void aFailureIsJooqsDataAccessExceptionWithItsSqlStateSoTransactionsRetryIt() {
    UUID id = UUID.randomUUID();
    INSERT.execute(database.dsl(), id, "first", 1, 1L, 1.0, true, (short) 1, null, null, null, null, null, null);
    assertThatThrownBy(() -> INSERT.execute(database.dsl(), id, "again", 1, 1L, 1.0, true, (short) 1, null, null,
        null, null, null, null))
        .isInstanceOf(DataAccessException.class)
        .hasCauseInstanceOf(SQLException.class)
        .satisfies(failure -> assertThat(Transactions.sqlState(failure)).isEqualTo("23505"));

    AtomicInteger attempts = new AtomicInteger();
    PreparedSql deadlock = new PreparedSql(
        "DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40P01'; END $$");
    String result = transactions.inTransaction(tx -> {
      if (attempts.incrementAndGet() < 2) {
        deadlock.execute(tx);
      }
      return "done";
    });
    assertThat(result).isEqualTo("done");
    assertThat(attempts).hasValue(2);
  }

  @Test
  void recordsOfATablesFieldsAndAtMostOneRow() {
    String columns = Arrays.stream(INSTALLATION.fields()).map(Field::getName).collect(Collectors.joining(", "));
    InstallationRecord installation = new PreparedSql("SELECT " + columns + " FROM installation")
        .fetchRecords(database.dsl(), INSTALLATION.fields()).getFirst().into(INSTALLATION);
    assertThat(installation.getId()).isEqualTo(database.installationId());

    PreparedSql two = new PreparedSql("SELECT * FROM generate_series(1, ?)");
    assertThat(two.fetchOptional(database.dsl(), result -> result.getInt(1), 1)).contains(1);
    assertThat(two.fetchOptional(database.dsl(), result -> result.getInt(1), 0)).isEmpty();
    assertThatThrownBy(() -> two.fetchOptional(database.dsl(), result -> result.getInt(1), 2))
        .isInstanceOf(DataAccessException.class)
        .hasMessageContaining("at most one row");
    assertThatThrownBy(() -> two.execute(database.dsl(), new Object()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
