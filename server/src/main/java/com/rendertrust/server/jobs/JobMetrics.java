package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The queue as an operator watches it, read from {@code job_tasks} (which this feature owns)
 * each time {@link #refresh()} runs, before a scrape: {@code rt_jobs_queue_depth{job_type,priority}}
 * (queued tasks; a type with none queued has no series) and {@code rt_jobs_tasks_by_status{status}}
 * (every status, 0 included). The same on every replica: the database is the queue.
 */
public final class JobMetrics {

  private final DSLContext dsl;
  private final MultiGauge queueDepth;
  private final MultiGauge tasksByStatus;

  public JobMetrics(DSLContext dsl, MeterRegistry registry) {
    this.dsl = dsl;
    this.queueDepth = MultiGauge.builder("rt.jobs.queue.depth")
        .description("Queued tasks by job type and priority")
        .register(registry);
    this.tasksByStatus = MultiGauge.builder("rt.jobs.tasks.by.status")
        .description("Tasks by status")
        .register(registry);
  }

  /** One query for each gauge family; rows that vanished from the queue drop their series. */
  public void refresh() {
    List<MultiGauge.Row<?>> depth = new ArrayList<>();
    for (var row : dsl.select(JOB_TASKS.JOB_TYPE, JOB_TASKS.PRIORITY_RANK, DSL.count())
        .from(JOB_TASKS)
        .where(JOB_TASKS.STATUS.eq(JobStatus.QUEUED.name()))
        .groupBy(JOB_TASKS.JOB_TYPE, JOB_TASKS.PRIORITY_RANK)
        .fetch()) {
      depth.add(MultiGauge.Row.of(Tags.of("job_type", row.value1(), "priority", priorityName(row.value2())),
          row.value3()));
    }
    queueDepth.register(depth, true);

    Map<JobStatus, Integer> counts = new EnumMap<>(JobStatus.class);
    for (JobStatus status : JobStatus.values()) {
      counts.put(status, 0);
    }
    for (var row : dsl.select(JOB_TASKS.STATUS, DSL.count()).from(JOB_TASKS).groupBy(JOB_TASKS.STATUS).fetch()) {
      counts.put(JobStatus.valueOf(row.value1()), row.value2());
    }
    List<MultiGauge.Row<?>> statuses = new ArrayList<>();
    counts.forEach((status, count) -> statuses.add(MultiGauge.Row.of(Tags.of("status", status.name()), count)));
    tasksByStatus.register(statuses, true);
  }

  private static String priorityName(short rank) {
    for (Priority priority : Priority.values()) {
      if (priority.rank() == rank) {
        return priority.wireName();
      }
    }
    return Short.toString(rank);
  }
}
