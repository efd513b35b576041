package com.rendertrust.e2e;

import com.rendertrust.server.credits.LedgerInvariants;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Read-only SQL against the running dev server's PostgreSQL, for what REST does not show: the
 * operator's earnings, platform revenue, and the ledger's invariants.
 */
final class DevDatabase {

  private final String jdbcUrl;

  DevDatabase(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  /**
   * Balance in ten-thousandths of a credit of the owner's account of that kind, plus the shares
   * batched captures owe it that no accrual has paid yet (an operator's earnings count them); 0
   * when there is none yet.
   */
  long balance(UUID ownerId, String kind) throws SQLException {
    return single("WITH account AS (SELECT id, balance FROM credit_accounts WHERE owner_id = ? AND kind = ?)"
        + " SELECT coalesce((SELECT sum(balance) FROM account), 0) + coalesce((SELECT sum(operator_share)"
        + " FROM credit_settlements WHERE operator_account_id IN (SELECT id FROM account) AND accrual_id IS NULL), 0)",
        ownerId, kind);
  }

  /** All of the platform's revenue (its accounts are sharded, so this sums them), fees owed included. */
  long platformRevenue() throws SQLException {
    return single("SELECT coalesce(sum(balance), 0) + coalesce((SELECT sum(platform_share) FROM credit_settlements"
        + " WHERE accrual_id IS NULL), 0) FROM credit_accounts WHERE kind = 'PLATFORM_REVENUE'");
  }

  /** {@link LedgerInvariants}, the check the server's own tests end with: empty when every promise holds. */
  List<String> ledgerViolations() throws SQLException {
    try (Connection connection = DriverManager.getConnection(jdbcUrl)) {
      return new LedgerInvariants(DSL.using(connection, SQLDialect.POSTGRES)).violations();
    }
  }

  /**
   * {@code pg_terminate_backend} of every client connection but this one, as an operator or a
   * failover does it to the server's pool; returns how many were terminated.
   */
  long terminateServerConnections() throws SQLException {
    return single("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
  }

  /** Every row of a query, each column as text (SQL NULL as null), in the order the query gives. */
  List<List<String>> rows(String sql, Object... parameters) throws SQLException {
    try (Connection connection = DriverManager.getConnection(jdbcUrl);
         PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      List<List<String>> rows = new java.util.ArrayList<>();
      try (ResultSet result = statement.executeQuery()) {
        int columns = result.getMetaData().getColumnCount();
        while (result.next()) {
          List<String> row = new java.util.ArrayList<>();
          for (int column = 1; column <= columns; column++) {
            row.add(result.getString(column));
          }
          rows.add(row);
        }
      }
      return rows;
    }
  }

  private long single(String sql, Object... parameters) throws SQLException {
    try (Connection connection = DriverManager.getConnection(jdbcUrl);
         PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      try (ResultSet result = statement.executeQuery()) {
        result.next();
        return result.getLong(1);
      }
    }
  }
}
