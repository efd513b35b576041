package com.rendertrust.sdk;

import java.time.Instant;

/**
 * One change of a job or of one of its tasks (docs/events.md); absent values are null.
 * {@code seq} numbers a job's events from 1 without gaps; {@code id} is global across all jobs.
 * {@code type} is one of job.created, task.dispatched, task.started, task.progress,
 * task.completed, task.failed, task.retrying, job.completed, job.failed, job.cancelled.
 */
public record JobEvent(long id, long seq, String type, String jobId, String taskId, String nodeId, String status,
    Double progress, Integer framesDone, String errorCode, String message, Instant at) {

  /** job.completed, job.failed and job.cancelled: the job's last event. */
  public boolean isTerminal() {
    return "job.completed".equals(type) || "job.failed".equals(type) || "job.cancelled".equals(type);
  }

  static JobEvent of(com.rendertrust.api.v1.JobEvent event) {
    return new JobEvent(event.getId(), event.getSeq(), event.getType(), event.getJobId(),
        event.hasTaskId() ? event.getTaskId() : null, event.hasNodeId() ? event.getNodeId() : null, event.getStatus(),
        event.hasProgress() ? event.getProgress() : null, event.hasFramesDone() ? event.getFramesDone() : null,
        event.hasErrorCode() ? event.getErrorCode() : null, event.hasMessage() ? event.getMessage() : null,
        event.getAt().isEmpty() ? null : Instant.parse(event.getAt()));
  }
}
