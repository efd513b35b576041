package com.rendertrust.server.auth;

import java.time.Instant;
import java.util.UUID;

/** A freshly signed JWT together with the claims the issuer needs to remember it by. */
public record IssuedToken(String value, TokenType type, UUID jti, Instant issuedAt, Instant expiresAt) {

  /** Never prints the token itself: it is a bearer credential. */
  @Override
  public String toString() {
    return "IssuedToken[type=" + type + ", jti=" + jti + ", expiresAt=" + expiresAt + "]";
  }
}
