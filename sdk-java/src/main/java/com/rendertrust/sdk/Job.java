package com.rendertrust.sdk;

import java.time.Instant;

/** A compute job as the server reports it; absent values are null. */
public record Job(String id, String jobType, String status, String priority, String nodeId, String payloadRef,
    String resultRef, String errorMessage, int retryCount, Instant queuedAt, Instant dispatchedAt,
    Instant completedAt, Instant createdAt, Instant updatedAt) {

  /** COMPLETED, FAILED and CANCELLED never change again. */
  public boolean isTerminal() {
    return "COMPLETED".equals(status) || "FAILED".equals(status) || "CANCELLED".equals(status);
  }
}
