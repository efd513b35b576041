package com.rendertrust.sdk;

import java.time.Instant;

/**
 * An uploaded input as the server reports it; a job names it by {@link #id()}. {@code status}
 * is PENDING, READY, FAILED or DELETED; {@code completedAt} is null while PENDING.
 */
public record Upload(String id, String filename, long sizeBytes, String sha256, String contentType, String status,
    Instant createdAt, Instant expiresAt, Instant completedAt) {

  /** READY uploads can be used by jobs. */
  public boolean isReady() {
    return "READY".equals(status);
  }
}
