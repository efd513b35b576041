package com.rendertrust.sdk;

import java.time.Instant;

/**
 * A compute job as the server reports it; absent values are null. A render job counts its
 * frames ({@code framesTotal}, {@code framesDone}); every job counts its tasks. {@code progress}
 * is 0..1: delivered frames of a render job, completed tasks otherwise. {@code errorCode} is the
 * typed failure of a FAILED job (e.g. {@code INVALID_INPUT}, {@code RETRIES_EXHAUSTED}).
 */
public record Job(String id, String jobType, String status, String priority, String nodeId, String payloadRef,
    String resultRef, String errorMessage, int retryCount, Instant queuedAt, Instant dispatchedAt,
    Instant completedAt, Instant createdAt, Instant updatedAt, int framesTotal, int framesDone, int tasksTotal,
    int tasksDone, double progress, String errorCode) {

  /** COMPLETED, FAILED and CANCELLED never change again. */
  public boolean isTerminal() {
    return "COMPLETED".equals(status) || "FAILED".equals(status) || "CANCELLED".equals(status);
  }
}
