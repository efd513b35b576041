package com.rendertrust.server.platform;

import java.util.Optional;
import java.util.UUID;

/** Ids as clients send them: a malformed id names nothing, so callers answer it like a missing one (404). */
public final class Ids {

  private Ids() {
  }

  /** The UUID in its canonical 36-character form; empty for anything else. */
  public static Optional<UUID> parse(String text) {
    if (text == null || text.length() != 36) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
