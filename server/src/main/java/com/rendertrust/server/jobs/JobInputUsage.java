package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;

import java.util.UUID;
import org.jooq.DSLContext;

/** Whether an unfinished job uses an upload as its input (asked by uploads before a deletion). */
public final class JobInputUsage {

  private JobInputUsage() {
  }

  public static boolean isInUse(DSLContext tx, UUID uploadId) {
    return tx.fetchExists(JOBS, JOBS.INPUT_ID.eq(uploadId)
        .and(JOBS.STATUS.in(JobStatus.QUEUED.name(), JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())));
  }
}
