package com.rendertrust.server.jobs;

import java.util.Optional;

/**
 * A creator's request to run a job, as received (validated by {@link JobService}).
 *
 * @param payloadJson inline JSON object input, already serialised
 * @param priority "low" | "normal" | "high" | "" (normal)
 * @param inputId id of one of the caller's READY uploads to use as input; not with {@code payloadRef}
 * @param tier "economy" | "standard" | "priority" | "" (standard)
 */
public record JobSubmission(
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    String priority,
    boolean gpuRequired,
    Optional<String> idempotencyKey,
    Optional<String> inputId,
    String tier) {

  /** A submission in the standard tier. */
  public JobSubmission(String jobType, Optional<String> payloadRef, Optional<String> payloadJson, String priority,
      boolean gpuRequired, Optional<String> idempotencyKey, Optional<String> inputId) {
    this(jobType, payloadRef, payloadJson, priority, gpuRequired, idempotencyKey, inputId, "");
  }

  /** A submission without an uploaded input. */
  public JobSubmission(String jobType, Optional<String> payloadRef, Optional<String> payloadJson, String priority,
      boolean gpuRequired, Optional<String> idempotencyKey) {
    this(jobType, payloadRef, payloadJson, priority, gpuRequired, idempotencyKey, Optional.empty());
  }
}
