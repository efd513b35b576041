package com.rendertrust.server.platform.db;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.exception.DataAccessException;

/**
 * One SQL statement of a hot path, written once with {@code ?} placeholders and run as a JDBC
 * prepared statement on the connection of the caller's jOOQ transaction. jOOQ builds and renders
 * a query on every call: under the jobs benchmark that was about 40 % of the server's CPU (JFR),
 * more than the statements cost PostgreSQL. Here the text is constant, so the driver reuses its
 * parse and the server's prepared statement. Failures surface as jOOQ's {@link
 * DataAccessException} with the {@link SQLException} as cause, exactly as a jOOQ query's do, so
 * {@link Transactions} retries them alike.
 *
 * <p>Parameters: {@link UUID}, {@link String}, boxed numbers and booleans, {@link OffsetDateTime},
 * arrays of UUID, String, Integer, Long and Double (sent as PostgreSQL arrays), and null. A
 * parameter that may be null needs a cast in the text ({@code CAST(? AS uuid)}).
 */
public final class PreparedSql {

  private final String sql;

  public PreparedSql(String sql) {
    this.sql = sql;
  }

  /** Reads one row of a result. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  /** Runs a statement without a result; returns the rows it changed. */
  public int execute(DSLContext tx, Object... params) {
    return run(tx, statement -> statement.executeUpdate(), params);
  }

  /** Runs a query (or a statement with RETURNING) and maps every row. */
  public <T> List<T> fetch(DSLContext tx, RowMapper<T> mapper, Object... params) {
    return run(tx, statement -> {
      List<T> rows = new ArrayList<>();
      try (ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          rows.add(mapper.map(result));
        }
      }
      return rows;
    }, params);
  }

  /** {@link #fetch} of at most one row. */
  public <T> Optional<T> fetchOptional(DSLContext tx, RowMapper<T> mapper, Object... params) {
    List<T> rows = fetch(tx, mapper, params);
    if (rows.size() > 1) {
      throw new DataAccessException("expected at most one row, got " + rows.size() + ": " + sql);
    }
    return rows.stream().findFirst();
  }

  /**
   * Runs a query whose columns are {@code fields} (in that order) and returns jOOQ records of
   * them, e.g. to read a table's whole row with {@code into(TABLE)} without rendering a query.
   */
  public Result<Record> fetchRecords(DSLContext tx, Field<?>[] fields, Object... params) {
    return run(tx, statement -> {
      try (ResultSet result = statement.executeQuery()) {
        return tx.fetch(result, fields);
      }
    }, params);
  }

  private interface Use<T> {
    T apply(PreparedStatement statement) throws SQLException;
  }

  private <T> T run(DSLContext tx, Use<T> use, Object... params) {
    return tx.connectionResult(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          bind(connection, statement, i + 1, params[i]);
        }
        return use.apply(statement);
      } catch (SQLException e) {
        throw new DataAccessException("SQL [" + sql + "]; " + e.getMessage(), e);
      }
    });
  }

  private static void bind(Connection connection, PreparedStatement statement, int index, Object value)
      throws SQLException {
    switch (value) {
      case null -> statement.setNull(index, Types.NULL);
      case String text -> statement.setString(index, text);
      case UUID[] ids -> statement.setArray(index, array(connection, "uuid", ids));
      case String[] texts -> statement.setArray(index, array(connection, "varchar", texts));
      case Integer[] numbers -> statement.setArray(index, array(connection, "int4", numbers));
      case Long[] numbers -> statement.setArray(index, array(connection, "int8", numbers));
      case Double[] numbers -> statement.setArray(index, array(connection, "float8", numbers));
      case UUID id -> statement.setObject(index, id);
      case OffsetDateTime time -> statement.setObject(index, time);
      case Integer number -> statement.setInt(index, number);
      case Long number -> statement.setLong(index, number);
      case Short number -> statement.setShort(index, number);
      case Double number -> statement.setDouble(index, number);
      case Boolean flag -> statement.setBoolean(index, flag);
      default -> throw new IllegalArgumentException("no binding for a " + value.getClass().getName());
    }
  }

  private static Array array(Connection connection, String type, Object[] values) throws SQLException {
    return connection.createArrayOf(type, values);
  }

  /**
   * The columns of {@code fields} by name, qualified by {@code table}, in their order: a
   * statement's column list derived from the generated jOOQ table (and read back with {@link
   * #fetchRecords}), so it follows the schema instead of repeating it.
   */
  public static String columns(String table, Field<?>... fields) {
    return Arrays.stream(fields).map(field -> table + ".\"" + field.getName() + "\"")
        .collect(Collectors.joining(", "));
  }

  /**
   * One array parameter of a set-based statement (bound to {@code unnest(CAST(? AS type[]), ...)}):
   * the value {@code value} takes for each of {@code rows}, in their order.
   */
  public static <T, C> C[] column(List<T> rows, java.util.function.Function<T, C> value,
      java.util.function.IntFunction<C[]> array) {
    return rows.stream().map(value).toArray(array);
  }

  /** A nullable uuid column. */
  public static UUID uuid(ResultSet row, int column) throws SQLException {
    return row.getObject(column, UUID.class);
  }

  /** A nullable timestamptz column. */
  public static OffsetDateTime timestamp(ResultSet row, int column) throws SQLException {
    return row.getObject(column, OffsetDateTime.class);
  }

  /** A nullable integer column. */
  public static Integer integer(ResultSet row, int column) throws SQLException {
    int value = row.getInt(column);
    return row.wasNull() ? null : value;
  }
}
