package com.rendertrust.server.platform.db;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL session advisory lock: how a periodic job runs on one replica at a time. The lock
 * lives as long as the connection that took it, so it is released even if the holder dies
 * (its session ends), and never blocks: a replica that does not get it simply skips its turn.
 */
public final class AdvisoryLock implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdvisoryLock.class);

  private final DataSource dataSource;
  private final Connection connection;
  private final long key;

  private AdvisoryLock(DataSource dataSource, Connection connection, long key) {
    this.dataSource = dataSource;
    this.connection = connection;
    this.key = key;
  }

  /** The lock if no other session holds it; empty if one does. SQL failures propagate. */
  public static Optional<AdvisoryLock> tryAcquire(DataSource dataSource, long key) throws SQLException {
    Connection connection = dataSource.getConnection();
    try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      statement.setLong(1, key);
      try (ResultSet result = statement.executeQuery()) {
        if (result.next() && result.getBoolean(1)) {
          return Optional.of(new AdvisoryLock(dataSource, connection, key));
        }
      }
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
    connection.close();
    return Optional.empty();
  }

  /** True while the session holding the lock is still alive (a dead session has released it). */
  public boolean stillHeld() {
    try {
      return connection.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try (connection) {
      try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        statement.setLong(1, key);
        statement.execute();
      }
    } catch (SQLException e) {
      // A pooled connection must never go back holding the lock: drop it from the pool instead
      // (closing its session releases the lock, if the session is even still alive).
      log.debug("advisory unlock of {} failed; evicting the connection", key, e);
      if (dataSource instanceof HikariDataSource pool) {
        pool.evictConnection(connection);
      }
    }
  }
}
