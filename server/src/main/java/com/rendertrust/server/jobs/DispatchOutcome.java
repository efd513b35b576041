package com.rendertrust.server.jobs;

import java.util.Optional;
import java.util.UUID;

/** The answer to a submission: DISPATCHED with its node, or QUEUED without one. */
public record DispatchOutcome(UUID jobId, Optional<UUID> nodeId, JobStatus status) {
}
