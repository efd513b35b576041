package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.platform.db.Transactions;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The work nodes delivered, read from COMPLETED tasks: how many tasks each completed, and per job
 * the units of work (frames; one for a task without frames) each did, counted as
 * {@link TaskWork} counts them for a capture, so an earning splits over nodes in the proportions
 * it was paid.
 */
public final class NodeWork {

  private final Transactions transactions;

  public NodeWork(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** Tasks completed per node (nodes without any are absent). */
  public Map<UUID, Integer> tasksCompleted(Collection<UUID> nodeIds) {
    if (nodeIds.isEmpty()) {
      return Map.of();
    }
    Map<UUID, Integer> counts = new HashMap<>();
    transactions.repeatable(dsl -> dsl.select(JOB_TASKS.NODE_ID, DSL.count())
        .from(JOB_TASKS)
        .where(JOB_TASKS.NODE_ID.in(nodeIds), JOB_TASKS.STATUS.eq(JobStatus.COMPLETED.name()))
        .groupBy(JOB_TASKS.NODE_ID)
        .fetch())
        .forEach(row -> counts.put(row.value1(), row.value2()));
    return counts;
  }

  /** Per job, the work of each of {@code nodeIds} on it (nodes in id order). */
  public Map<UUID, Map<UUID, Long>> workByJob(Collection<UUID> nodeIds) {
    if (nodeIds.isEmpty()) {
      return Map.of();
    }
    Field<Long> frames = DSL.coalesce(
        JOB_TASKS.FRAME_END.minus(JOB_TASKS.FRAME_START).div(JOB_TASKS.FRAME_STEP).plus(1), DSL.inline(1))
        .cast(SQLDataType.BIGINT);
    Field<Long> work = DSL.sum(frames).cast(SQLDataType.BIGINT);
    Map<UUID, Map<UUID, Long>> byJob = new HashMap<>();
    transactions.repeatable(dsl -> dsl.select(JOB_TASKS.JOB_ID, JOB_TASKS.NODE_ID, work)
        .from(JOB_TASKS)
        .where(JOB_TASKS.NODE_ID.in(nodeIds), JOB_TASKS.STATUS.eq(JobStatus.COMPLETED.name()))
        .groupBy(JOB_TASKS.JOB_ID, JOB_TASKS.NODE_ID)
        .orderBy(JOB_TASKS.JOB_ID, JOB_TASKS.NODE_ID)
        .fetch())
        .forEach(row -> byJob.computeIfAbsent(row.value1(), job -> new LinkedHashMap<>()).put(row.value2(), row.value3()));
    return byJob;
  }
}
