package com.rendertrust.server.platform.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL server (zonky's packaged binaries) whose data directory survives restarts,
 * so a second dev start reuses the same database.
 */
public final class EmbeddedPostgresProcess implements AutoCloseable {

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresProcess(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts PostgreSQL on a free port over {@code dataDirectory}, initialising it only when empty.
   * {@code durable} keeps fsync and synchronous commit on (zonky turns both off for speed), which a
   * data directory that outlives the process needs to survive a crash.
   */
  public static EmbeddedPostgresProcess start(Path dataDirectory, boolean durable) {
    try {
      Files.createDirectories(dataDirectory);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(dataDirectory)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setServerConfig("max_connections", "200");
      if (durable) {
        builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
      }
      EmbeddedPostgres postgres = builder.start();
      return new EmbeddedPostgresProcess(postgres);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded PostgreSQL in " + dataDirectory, e);
    }
  }

  public String jdbcUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  public String user() {
    return "postgres";
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
