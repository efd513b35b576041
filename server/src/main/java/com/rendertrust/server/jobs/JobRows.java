package com.rendertrust.server.jobs;

import static com.rendertrust.server.platform.db.Timestamps.fromDb;
import static com.rendertrust.server.platform.db.Timestamps.fromDbNullable;

import com.rendertrust.server.db.tables.records.JobsRecord;
import java.util.Optional;
import org.jooq.JSONB;

/** Maps {@code jobs} rows to {@link Job}. */
final class JobRows {

  private JobRows() {
  }

  static Job toJob(JobsRecord row) {
    return new Job(
        row.getId(),
        row.getUserId(),
        Optional.ofNullable(row.getNodeId()),
        row.getJobType(),
        Optional.ofNullable(row.getPayloadRef()),
        Optional.ofNullable(row.getPayload()).map(JSONB::data),
        Priority.fromWireName(row.getPriority()),
        row.getGpuRequired(),
        JobStatus.valueOf(row.getStatus()),
        Optional.ofNullable(row.getAssignmentId()),
        row.getRetryCount(),
        Optional.ofNullable(row.getErrorMessage()),
        Optional.ofNullable(row.getResultRef()),
        row.getPrice(),
        fromDbNullable(row.getQueuedAt()),
        fromDbNullable(row.getDispatchedAt()),
        fromDbNullable(row.getStartedAt()),
        fromDbNullable(row.getCompletedAt()),
        fromDbNullable(row.getDeadline()),
        fromDb(row.getCreatedAt()),
        fromDb(row.getUpdatedAt()),
        row.getFramesTotal(),
        row.getFramesDone(),
        row.getTasksTotal(),
        row.getTasksDone(),
        Optional.ofNullable(row.getErrorCode()),
        Optional.ofNullable(row.getInputId()),
        row.getReportedProgress(),
        row.getReportedFrames());
  }
}
