package com.rendertrust.server.testing;

import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The real PostgreSQL and Redis processes the whole test JVM shares: embedded by default, or
 * the servers named by {@code RT_TEST_DATABASE_URL} / {@code RT_TEST_REDIS_URL}. Every test
 * server gets a database of its own, so tests never see each other's rows.
 */
public final class TestInfrastructure {

  private static final Object LOCK = new Object();
  private static EmbeddedPostgres postgres;
  private static EmbeddedRedisProcess redis;

  private TestInfrastructure() {
  }

  /** A JDBC URL of a new, empty database (user and password included where needed). */
  public static String freshDatabaseUrl() {
    String adminUrl = adminDatabaseUrl();
    String name = "rt_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection connection = DriverManager.getConnection(adminUrl);
         Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database on " + redact(adminUrl), e);
    }
    return withDatabase(adminUrl, name);
  }

  public static String redisUrl() {
    String external = System.getenv("RT_TEST_REDIS_URL");
    if (external != null && !external.isBlank()) {
      return external;
    }
    synchronized (LOCK) {
      if (redis == null) {
        redis = EmbeddedRedisProcess.start();
        Runtime.getRuntime().addShutdownHook(new Thread(redis::close));
      }
      return redis.url();
    }
  }

  private static String adminDatabaseUrl() {
    String external = System.getenv("RT_TEST_DATABASE_URL");
    if (external != null && !external.isBlank()) {
      return external;
    }
    synchronized (LOCK) {
      if (postgres == null) {
        try {
          postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
        } catch (IOException e) {
          throw new UncheckedIOException("could not start embedded PostgreSQL", e);
        }
        EmbeddedPostgres started = postgres;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
          } catch (IOException ignored) {
            // the JVM is exiting; the temp cluster is discarded either way
          }
        }));
      }
      return postgres.getJdbcUrl("postgres", "postgres");
    }
  }

  /** Replaces the database name of a {@code jdbc:postgresql://host:port/db?params} URL. */
  static String withDatabase(String jdbcUrl, String database) {
    int query = jdbcUrl.indexOf('?');
    String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    String params = query < 0 ? "" : jdbcUrl.substring(query);
    int slash = base.lastIndexOf('/');
    if (slash < "jdbc:postgresql://".length()) {
      return base + "/" + database + params;
    }
    return base.substring(0, slash + 1) + database + params;
  }

  private static String redact(String url) {
    return url.replaceAll("password=[^&]*", "password=***");
  }
}
