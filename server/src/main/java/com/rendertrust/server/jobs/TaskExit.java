package com.rendertrust.server.jobs;

/**
 * How a task leaves the node that held it, and so its next status: the one place a held task's
 * status changes ({@link JobTaskStore#exit}); the assignment ends with the same outcome.
 */
enum TaskExit {
  /** Delivered everything it owes. */
  COMPLETED(JobStatus.COMPLETED),
  /** Failed for good (INVALID_INPUT, or a failure with nothing to retry): its job fails. */
  FAILED(JobStatus.FAILED),
  /** Failed with its retries used up: RETRIES_EXHAUSTED, its job fails. */
  DEAD_LETTERED(JobStatus.FAILED),
  /** Back to the queue for another attempt, after its backoff, avoiding the node it failed on. */
  REQUEUED(JobStatus.QUEUED);

  private final JobStatus next;

  TaskExit(JobStatus next) {
    this.next = next;
  }

  JobStatus next() {
    return next;
  }
}
