package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.errors.DomainException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * QUEUED -> DISPATCHED -> RUNNING -> COMPLETED | FAILED; CANCELLED from any unfinished status;
 * a manual retry takes a FAILED job back to QUEUED.
 * A task goes through the same statuses (back to QUEUED when its node is lost or times out, until
 * its retries run out; CANCELLED with its job); a job's status is derived from its tasks'.
 */
public enum JobStatus {
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

  /** Not ended yet: QUEUED, DISPATCHED or RUNNING (running tasks get {@code cancel}). */
  public boolean isCancellable() {
    return !isTerminal();
  }

  /** The status named by a list filter, exactly as the contract spells it; 422 otherwise. */
  public static JobStatus parseFilter(String text) {
    for (JobStatus status : values()) {
      if (status.name().equals(text)) {
        return status;
      }
    }
    throw DomainException.validation("unknown status '" + text + "'; valid values: "
        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
  }
}
