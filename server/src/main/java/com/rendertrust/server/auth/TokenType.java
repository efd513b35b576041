package com.rendertrust.server.auth;

import java.time.Duration;
import java.util.Optional;

/**
 * The three kinds of JWT this server issues. Each has its own lifetime, its own
 * {@code token_type} claim and its own JOSE {@code typ} header (RFC 8725 §3.11 explicit
 * typing), so one kind can never be accepted as another.
 */
public enum TokenType {
  ACCESS("access", "at+jwt", Duration.ofMinutes(30)),
  REFRESH("refresh", "refresh+jwt", Duration.ofDays(7)),
  NODE("node", "node+jwt", Duration.ofHours(24));

  private final String claim;
  private final String joseType;
  private final Duration lifetime;

  TokenType(String claim, String joseType, Duration lifetime) {
    this.claim = claim;
    this.joseType = joseType;
    this.lifetime = lifetime;
  }

  /** The {@code token_type} claim value. */
  public String claim() {
    return claim;
  }

  /** The JOSE header {@code typ}. */
  public String joseType() {
    return joseType;
  }

  public Duration lifetime() {
    return lifetime;
  }

  static Optional<TokenType> ofClaim(String claim) {
    for (TokenType type : values()) {
      if (type.claim.equals(claim)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
