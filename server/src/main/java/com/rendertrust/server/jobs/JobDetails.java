package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.platform.db.Timestamps.fromDbNullable;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.storage.ResultStore;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A job's tasks and outputs, for its owner only: another user's job answers like a missing one (404). */
public final class JobDetails {

  private static final Logger log = LoggerFactory.getLogger(JobDetails.class);

  private final Database database;
  private final TaskOutputs outputs;
  private final ResultStore results;
  private final StorageConfig storage;

  public JobDetails(Database database, TaskOutputs outputs, ResultStore results, StorageConfig storage) {
    this.database = database;
    this.outputs = outputs;
    this.results = results;
    this.storage = storage;
  }

  /** The job's tasks in index order. */
  public List<JobTask> tasks(UUID userId, String jobId) {
    JobsRecord job = JobService.owned(database.dsl(), userId, jobId, false);
    return database.dsl().selectFrom(JOB_TASKS).where(JOB_TASKS.JOB_ID.eq(job.getId()))
        .orderBy(JOB_TASKS.TASK_INDEX.asc())
        .fetch(row -> new JobTask(row.getId(), row.getTaskIndex(), Optional.ofNullable(row.getFrameStart()),
            Optional.ofNullable(row.getFrameEnd()), JobStatus.valueOf(row.getStatus()),
            Optional.ofNullable(row.getNodeId()), row.getAttempts(), fromDbNullable(row.getStartedAt()),
            fromDbNullable(row.getCompletedAt()), Optional.ofNullable(row.getErrorCode()),
            Optional.ofNullable(row.getErrorMessage())));
  }

  /** The job's delivered outputs in frame order, each with a presigned download URL. */
  public OutputLinks outputs(UUID userId, String jobId) {
    JobsRecord job = JobService.owned(database.dsl(), userId, jobId, false);
    try {
      List<OutputLinks.Link> links = outputs.list(job.getId()).stream()
          .map(output -> new OutputLinks.Link(output, results.downloadUrl(output.objectKey(), storage.downloadUrlTtl())))
          .toList();
      return new OutputLinks(links, storage.downloadUrlTtl().toSeconds());
    } catch (RuntimeException e) {
      log.error("presigning the outputs of job {} failed", job.getId(), e);
      throw DomainException.unavailable("result storage is unavailable");
    }
  }
}
