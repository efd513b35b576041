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
    Instant updatedAt,
    int framesTotal,
    int framesDone,
    int tasksTotal,
    int tasksDone,
    Optional<String> errorCode,
    Optional<UUID> inputId,
    double reportedProgress,
    int reportedFrames) {

  /**
   * Completion, 0..1: delivered frames of a job with frames, completed tasks otherwise; while the
   * job runs, the nodes' latest progress reports when they say more.
   */
  public double progress() {
    if (status == JobStatus.COMPLETED) {
      return 1.0;
    }
    double delivered = framesTotal > 0 ? (double) framesDone / framesTotal : (double) tasksDone / tasksTotal;
    return status.isTerminal() ? delivered : Math.max(delivered, Math.min(1.0, reportedProgress));
  }
}
