package com.rendertrust.server.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** One task of a job, as its owner sees it. */
public record JobTask(
    UUID id,
    int index,
    Optional<Integer> frameStart,
    Optional<Integer> frameEnd,
    JobStatus status,
    Optional<UUID> nodeId,
    int attempts,
    Optional<Instant> startedAt,
    Optional<Instant> completedAt,
    Optional<String> errorCode,
    Optional<String> errorMessage) {
}
