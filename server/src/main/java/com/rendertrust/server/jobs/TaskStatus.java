package com.rendertrust.server.jobs;

/**
 * A task's life: QUEUED -> DISPATCHED -> RUNNING -> COMPLETED | FAILED, back to QUEUED when its
 * node is lost or times out (until its retries run out), CANCELLED with its job. Every change
 * is made by {@link JobLifecycle}, {@link JobScheduler} or {@link JobService} through {@link JobTasks}.
 */
public enum TaskStatus {
  QUEUED,
  DISPATCHED,
  RUNNING,
  COMPLETED,
  FAILED,
  CANCELLED;

  /** Held by a node (an assignment is open). */
  public boolean isActive() {
    return this == DISPATCHED || this == RUNNING;
  }

  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
