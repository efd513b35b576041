package com.rendertrust.server.webhooks;

import java.time.Instant;
import java.util.UUID;

/**
 * One attempt a replica leased: attempt number {@code attempt} of the delivery (the fencing
 * token its outcome is recorded with), the endpoint as it stood, and the event's exact body.
 */
record Lease(UUID deliveryId, int attempt, Instant retryUntil, Instant leaseUntil, Endpoint endpoint, String eventId,
    String body) {
}
