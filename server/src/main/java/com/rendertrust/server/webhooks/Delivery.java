package com.rendertrust.server.webhooks;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** One event to one endpoint: the delivery log's row. */
public record Delivery(UUID id, UUID endpointId, String eventId, String eventType, int attempts,
    DeliveryStatus status, Instant nextAttemptAt, Optional<Integer> responseStatus, Optional<String> lastError,
    Instant createdAt) {

  public enum DeliveryStatus {
    PENDING, SUCCEEDED, FAILED
  }
}
