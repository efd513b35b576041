package com.rendertrust.server.jobs;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The answer to a submission: DISPATCHED with the node of its first task, or QUEUED without
 * one. {@code nodes} are the nodes this submission handed tasks to (to be woken after the commit).
 */
public record DispatchOutcome(UUID jobId, Optional<UUID> nodeId, JobStatus status, List<UUID> nodes) {
}
