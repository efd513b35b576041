package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;

import com.rendertrust.server.platform.db.Transactions;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Every user's jobs, for administrators: one page by status, or only the dead-lettered ones (FAILED
 * after their retries ran out, error code RETRIES_EXHAUSTED), and a job by id whoever owns it.
 */
public final class JobDirectory {

  private final Transactions transactions;

  public JobDirectory(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** Newest first; {@code status} empty for any; 422 for an unknown status. */
  public JobPage page(String status, boolean deadLettered, int limit, int offset) {
    Condition filter = DSL.noCondition();
    if (status != null && !status.isEmpty()) {
      filter = filter.and(JOBS.STATUS.eq(JobStatus.parseFilter(status).name()));
    }
    if (deadLettered) {
      filter = filter.and(JOBS.STATUS.eq(JobStatus.FAILED.name()))
          .and(JOBS.ERROR_CODE.eq(ErrorCode.RETRIES_EXHAUSTED.name()));
    }
    Condition where = filter;
    return transactions.repeatable(dsl -> new JobPage(dsl.selectFrom(JOBS).where(where)
        .orderBy(JOBS.CREATED_AT.desc(), JOBS.ID.desc())
        .limit(limit).offset(offset)
        .fetch(JobRows::toJob), dsl.fetchCount(JOBS, where)));
  }

  /** The job, whoever owns it. */
  public Optional<Job> find(UUID jobId) {
    return transactions.repeatable(dsl -> dsl.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchOptional(JobRows::toJob));
  }
}
