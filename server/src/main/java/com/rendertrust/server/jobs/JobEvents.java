package com.rendertrust.server.jobs;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Where the jobs feature records what happened to a job or one of its tasks, within the very
 * transaction of the change ({@code tx}), so an event exists exactly when its change committed.
 * Implemented by the events feature (events.JobEventLog), which numbers each job's events from 1
 * without gaps and fans them out to watchers after the commit. The jobs feature knows only this
 * interface: one {@link #record} call next to each status write.
 */
public interface JobEvents {

  /** Records {@code events} (each job's in its order; usually all of one job) within {@code tx}. */
  void record(DSLContext tx, List<Event> events);

  default void record(DSLContext tx, Event event) {
    record(tx, List.of(event));
  }

  /** Records nothing (tests and tools that run the jobs feature without events). */
  JobEvents NONE = (tx, events) -> { };

  /** The event types, as clients see them. */
  enum Type {
    JOB_CREATED("job.created"), TASK_DISPATCHED("task.dispatched"), TASK_STARTED("task.started"),
    TASK_PROGRESS("task.progress"), TASK_COMPLETED("task.completed"), TASK_FAILED("task.failed"),
    TASK_RETRYING("task.retrying"), JOB_COMPLETED("job.completed"), JOB_FAILED("job.failed"),
    JOB_CANCELLED("job.cancelled");

    private final String wireName;

    Type(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }

    /** job.completed, job.failed and job.cancelled end a job's stream. */
    public boolean terminal() {
      return this == JOB_COMPLETED || this == JOB_FAILED || this == JOB_CANCELLED;
    }
  }

  /**
   * One change: {@code status} is the task's status for task.* events and the job's for job.*
   * events; progress 0..1 and frames_done where known.
   */
  record Event(Type type, UUID jobId, Optional<UUID> taskId, Optional<UUID> nodeId, JobStatus status,
      Optional<Double> progress, Optional<Integer> framesDone, Optional<String> errorCode, Optional<String> message) {

    public static Event ofJob(Type type, UUID jobId, JobStatus status) {
      return new Event(type, jobId, Optional.empty(), Optional.empty(), status, Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.empty());
    }

    public static Event ofTask(Type type, UUID jobId, UUID taskId, UUID nodeId, JobStatus status) {
      return new Event(type, jobId, Optional.of(taskId), Optional.ofNullable(nodeId), status, Optional.empty(),
          Optional.empty(), Optional.empty(), Optional.empty());
    }

    public Event withError(ErrorCode code, String text) {
      return new Event(type, jobId, taskId, nodeId, status, progress, framesDone,
          Optional.ofNullable(code).map(Enum::name), Optional.ofNullable(text));
    }

    public Event withMessage(String text) {
      return new Event(type, jobId, taskId, nodeId, status, progress, framesDone, errorCode,
          Optional.ofNullable(text).filter(t -> !t.isBlank()));
    }

    public Event withProgress(double fraction, int frames) {
      return new Event(type, jobId, taskId, nodeId, status, Optional.of(fraction), Optional.of(frames), errorCode,
          message);
    }
  }
}
