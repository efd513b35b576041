package com.rendertrust.server.jobs;

import com.rendertrust.server.jobs.JobEvents.Event;
import com.rendertrust.server.jobs.JobEvents.Type;
import com.rendertrust.server.jobs.JobTaskStore.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The events of the jobs feature's multi-row writes, built within their transaction. */
final class JobEventDrafts {

  private JobEventDrafts() {
  }

  /** job.created, then task.dispatched for each task the submission handed to a node. */
  static List<Event> created(UUID jobId, List<JobTaskStore.DispatchedTask> dispatchedTasks, JobStatus status) {
    List<Event> events = new ArrayList<>();
    events.add(Event.ofJob(Type.JOB_CREATED, jobId, status));
    dispatchedTasks.forEach(task -> events.add(dispatched(jobId, task.taskId(), task.nodeId())));
    return events;
  }

  /** task.dispatched for each placement (tasks of one or more jobs). */
  static List<Event> dispatched(List<Placement> placements) {
    return placements.stream().map(p -> dispatched(p.jobId(), p.taskId(), p.nodeId())).toList();
  }

  private static Event dispatched(UUID jobId, UUID taskId, UUID nodeId) {
    return Event.ofTask(Type.TASK_DISPATCHED, jobId, taskId, nodeId, JobStatus.DISPATCHED);
  }
}
