package com.rendertrust.server.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A job as its owner sees it (plus the scheduling fields the server keeps). */
public record Job(
    UUID id,
    UUID userId,
    Optional<UUID> nodeId,
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    Priority priority,
    boolean gpuRequired,
    JobStatus status,
    Optional<UUID> assignmentId,
    int retryCount,
    Optional<String> errorMessage,
    Optional<String> resultRef,
    long price,
    Optional<Instant> queuedAt,
    Optional<Instant> dispatchedAt,
    Optional<Instant> startedAt,
    Optional<Instant> completedAt,
    Optional<Instant> deadline,
    Instant createdAt,
    Instant updatedAt) {
}
