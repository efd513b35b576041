package com.rendertrust.server.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A job a node currently holds (DISPATCHED or RUNNING), with what the node needs to run it. */
public record ActiveAssignment(
    UUID jobId,
    UUID assignmentId,
    JobStatus status,
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    Instant deadline,
    UUID userId,
    Optional<UUID> inputId) {
}
