package com.rendertrust.server.jobs;

import java.util.UUID;

/**
 * A task a node holds (DISPATCHED or RUNNING), without what running it needs: what a stream
 * compares with what it told its node ({@link ActiveAssignment} has the rest).
 */
public record HeldAssignment(UUID jobId, UUID assignmentId, JobStatus status) {
}
