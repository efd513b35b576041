package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.credits.WorkSplit;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Who rendered a completed job, for its capture: the frames of each COMPLETED task count for
 * the operator of the node that completed it (the task's node: a requeued task's node is the
 * one that ran it last). A task without frames counts as one unit, so a one-task job is all its
 * completing node's work. One grouped query per job, whatever its number of tasks or frames.
 */
final class TaskWork {

  private TaskWork() {
  }

  /**
   * The job's work per operator; {@code fallbackOperator} (the finishing node's operator) takes
   * it all when the job has no completed task rows to read.
   */
  static WorkSplit of(DSLContext tx, UUID jobId, Optional<UUID> fallbackOperator) {
    Field<Long> frames = DSL.coalesce(
        JOB_TASKS.FRAME_END.minus(JOB_TASKS.FRAME_START).div(JOB_TASKS.FRAME_STEP).plus(1), DSL.inline(1))
        .cast(SQLDataType.BIGINT);
    Field<Long> work = DSL.sum(frames).cast(SQLDataType.BIGINT);
    Map<UUID, Long> byOperator = new HashMap<>();
    long total = 0;
    for (var row : tx.select(NODES.OPERATOR_USER_ID, work)
        .from(JOB_TASKS).leftJoin(NODES).on(NODES.ID.eq(JOB_TASKS.NODE_ID))
        .where(JOB_TASKS.JOB_ID.eq(jobId).and(JOB_TASKS.STATUS.eq(JobStatus.COMPLETED.name())))
        .groupBy(NODES.OPERATOR_USER_ID)
        .fetch()) {
      total += row.value2();
      if (row.value1() != null) {
        byOperator.put(row.value1(), row.value2());
      }
    }
    return total == 0 ? WorkSplit.solely(fallbackOperator.orElse(null)) : new WorkSplit(byOperator, total);
  }
}
