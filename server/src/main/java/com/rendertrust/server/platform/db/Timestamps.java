package com.rendertrust.server.platform.db;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Instants in and out of TIMESTAMPTZ columns. Times are passed to SQL as parameters from an
 * injected clock (never {@code now()} in SQL), so tests control time; truncated to microseconds,
 * PostgreSQL's precision, so a value reads back equal to what was written.
 */
public final class Timestamps {

  private Timestamps() {
  }

  public static OffsetDateTime toDb(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
  }

  public static Instant fromDb(OffsetDateTime value) {
    return value.toInstant();
  }

  public static Optional<Instant> fromDbNullable(OffsetDateTime value) {
    return Optional.ofNullable(value).map(OffsetDateTime::toInstant);
  }
}
