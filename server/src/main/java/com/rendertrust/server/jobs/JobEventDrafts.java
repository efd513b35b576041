package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.jobs.JobEvents.Event;
import com.rendertrust.server.jobs.JobEvents.Type;
import com.rendertrust.server.jobs.JobTaskStore.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;

/** The events of the jobs feature's multi-row writes, built within their transaction. */
final class JobEventDrafts {

  private JobEventDrafts() {
  }

  /** job.created, then task.dispatched for each task the submission handed to a node. */
  static List<Event> created(DSLContext tx, UUID jobId, JobStatus status) {
    List<Event> events = new ArrayList<>();
    events.add(Event.ofJob(Type.JOB_CREATED, jobId, status));
    tx.select(JOB_TASKS.ID, JOB_TASKS.NODE_ID).from(JOB_TASKS)
        .where(JOB_TASKS.JOB_ID.eq(jobId).and(JOB_TASKS.STATUS.eq(JobStatus.DISPATCHED.name())))
        .orderBy(JOB_TASKS.TASK_INDEX)
        .forEach(task -> events.add(dispatched(jobId, task.value1(), task.value2())));
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
