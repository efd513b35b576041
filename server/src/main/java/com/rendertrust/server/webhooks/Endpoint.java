package com.rendertrust.server.webhooks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A creator's webhook endpoint. {@code previousSecret} is the secret a rotation replaced, which
 * still signs (next to {@code secret}) until {@code previousExpiresAt}.
 */
public record Endpoint(UUID id, UUID userId, String url, List<String> events, String description, String secret,
    Optional<String> previousSecret, Optional<Instant> previousExpiresAt, boolean enabled,
    Optional<Instant> failingSince, Optional<Instant> disabledAt, Instant createdAt) {

  public Endpoint {
    events = List.copyOf(events);
  }

  /** The secrets that sign a request sent at {@code now}: the current one, then the previous one while valid. */
  public List<String> signingSecrets(Instant now) {
    List<String> secrets = new ArrayList<>(List.of(secret));
    if (previousSecret.isPresent() && previousExpiresAt.isPresent() && now.isBefore(previousExpiresAt.get())) {
      secrets.add(previousSecret.get());
    }
    return secrets;
  }

  public Endpoint withEnabled(boolean value) {
    return new Endpoint(id, userId, url, events, description, secret, previousSecret, previousExpiresAt, value,
        failingSince, disabledAt, createdAt);
  }
}
