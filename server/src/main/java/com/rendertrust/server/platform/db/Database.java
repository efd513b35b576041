package com.rendertrust.server.platform.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

import static com.rendertrust.server.db.Tables.INSTALLATION;

/** The PostgreSQL connection pool, migrated by Flyway at startup, with jOOQ on top. */
public final class Database implements AutoCloseable {

  private static final int PING_TIMEOUT_SECONDS = 2;

  private final HikariDataSource dataSource;
  private final DSLContext dsl;

  private Database(HikariDataSource dataSource) {
    this.dataSource = dataSource;
    this.dsl = DSL.using(new KnownIsolationConnections(dataSource, Connection.TRANSACTION_READ_COMMITTED),
        SQLDialect.POSTGRES);
  }

  /** Opens the pool and applies every pending migration; fails fast when PostgreSQL is unreachable. */
  public static Database open(String jdbcUrl, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    if (user != null) {
      config.setUsername(user);
    }
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("rendertrust-db");
    config.setConnectionTimeout(5_000);
    // PostgreSQL's default, pinned so that jOOQ's connections know it without asking (KnownIsolationConnections).
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    // A pool that cannot reach the database at start should fail the start, not the first request.
    config.setInitializationFailTimeout(10_000);
    HikariDataSource dataSource = new HikariDataSource(config);
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          .load()
          .migrate();
      Database database = new Database(dataSource);
      database.ensureInstallationId();
      return database;
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
  }

  /** The pool's own meters ({@code hikaricp_*}: connections active, idle, pending, timeouts, usage). Once. */
  public void bindMetrics(MeterRegistry registry) {
    dataSource.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
  }

  /**
   * Every transaction run through {@link #dsl()} from now on opens a span of {@code listener}'s
   * ({@code db.transaction}); the composition root calls this once, before any feature runs.
   */
  public void bindTracing(org.jooq.TransactionListener listener) {
    dsl.configuration().set(listener);
  }

  public DSLContext dsl() {
    return dsl;
  }

  /** How many connections the pool holds at most. */
  public int poolSize() {
    return dataSource.getMaximumPoolSize();
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** The id written on the first start against this database; a restart that reuses it sees the same id. */
  public UUID installationId() {
    return dsl.select(INSTALLATION.ID).from(INSTALLATION).fetchSingle(INSTALLATION.ID);
  }

  /** True when a pooled connection answers a round trip within the ping timeout. */
  public boolean ping() {
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(PING_TIMEOUT_SECONDS);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  private void ensureInstallationId() {
    dsl.insertInto(INSTALLATION)
        .columns(INSTALLATION.ID)
        .values(UUID.randomUUID())
        .onConflictDoNothing()
        .execute();
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
