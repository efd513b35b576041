package com.rendertrust.agent.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads {@code iat}/{@code exp} from the node JWT's payload, only to know when to renew it. The
 * signature is not checked: the server is the one that trusts the token, the agent just carries it.
 */
public record TokenClaims(Optional<Instant> issuedAt, Optional<Instant> expiresAt) {

  public static TokenClaims of(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length < 2) {
      return new TokenClaims(Optional.empty(), Optional.empty());
    }
    try {
      JsonNode payload = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
      return new TokenClaims(seconds(payload, "iat"), seconds(payload, "exp"));
    } catch (Exception e) {
      return new TokenClaims(Optional.empty(), Optional.empty());
    }
  }

  private static Optional<Instant> seconds(JsonNode payload, String claim) {
    JsonNode value = payload == null ? null : payload.get(claim);
    if (value == null || !value.isNumber()) {
      return Optional.empty();
    }
    return Optional.of(Instant.ofEpochSecond(value.asLong()));
  }
}
