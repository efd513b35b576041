package com.rendertrust.sdk;

import java.time.Instant;

/** An API key as listed (never its secret): id, name, visible prefix, and when it was used or revoked. */
public record ApiKeyInfo(String id, String name, String prefix, Instant createdAt, Instant lastUsedAt,
    Instant revokedAt) {
}
