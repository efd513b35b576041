package com.rendertrust.server.jobs;

import java.util.Optional;
import java.util.UUID;

/** A submission that passed {@link SubmissionRules}, with the hash that identifies its content. */
record ValidSubmission(
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    Priority priority,
    boolean gpuRequired,
    Optional<String> idempotencyKey,
    String requestHash,
    Optional<UUID> inputId,
    Tier tier) {
}
