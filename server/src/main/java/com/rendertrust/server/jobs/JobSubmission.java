package com.rendertrust.server.jobs;

import java.util.Optional;

/**
 * A creator's request to run a job, as received (validated by {@link JobService}).
 *
 * @param payloadJson inline JSON object input, already serialised
 * @param priority "low" | "normal" | "high" | "" (normal)
 */
public record JobSubmission(
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    String priority,
    boolean gpuRequired,
    Optional<String> idempotencyKey) {
}
