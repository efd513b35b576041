package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_OUTPUTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.db.tables.records.JobTasksRecord;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.StoredObject;
import java.io.IOException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outputs of render tasks. A node reports each frame it uploaded; the frame counts as
 * delivered only once the server has found the stored object at the key it chose for that
 * frame and assignment, with the reported size (and, on the embedded store, the reported
 * SHA-256). Reports from a node that no longer holds the task are STALE; reports whose frame,
 * name or bytes do not match are REJECTED; neither records anything.
 */
public final class TaskOutputs {

  private static final Logger log = LoggerFactory.getLogger(TaskOutputs.class);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final Database database;
  private final Transactions transactions;
  private final ResultStore results;
  private final Clock clock;

  public TaskOutputs(Database database, ResultStore results, Clock clock) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.results = results;
    this.clock = clock;
  }

  public ReportOutcome outputReady(UUID nodeId, UUID jobId, UUID assignmentId, OutputReport reported) {
    OutputReport report = new OutputReport(reported.frame(), reported.name(), reported.sizeBytes(),
        reported.sha256().toLowerCase(java.util.Locale.ROOT), reported.contentType());
    JobTasksRecord task = database.dsl().selectFrom(JOB_TASKS)
        .where(JOB_TASKS.ASSIGNMENT_ID.eq(assignmentId).and(JOB_TASKS.JOB_ID.eq(jobId))
            .and(JOB_TASKS.NODE_ID.eq(nodeId))
            .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())))
        .fetchOne();
    if (task == null) {
      log.warn("STALE_ASSIGNMENT: node {} reported an output of job {} under assignment {} it does not hold; discarded",
          nodeId, jobId, assignmentId);
      return ReportOutcome.STALE;
    }
    Optional<String> payload = Optional.ofNullable(database.dsl().select(JOBS.PAYLOAD).from(JOBS)
        .where(JOBS.ID.eq(jobId)).fetchOne(JOBS.PAYLOAD)).map(JSONB::data);
    OutputFormat format = RenderFrames.formatOf(payload);
    Optional<String> problem = mismatch(task, format, report);
    if (problem.isPresent()) {
      log.warn("node {} reported output {} of job {}: {}; not delivered", nodeId, report.name(), jobId, problem.get());
      return ReportOutcome.REJECTED;
    }
    String key = ResultStore.outputKey(jobId, assignmentId, report.name());
    Optional<String> stored = storedMismatch(key, report);
    if (stored.isPresent()) {
      log.warn("node {} reported output {} of job {}: {}; not delivered", nodeId, report.name(), jobId, stored.get());
      return ReportOutcome.REJECTED;
    }
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    return transactions.transactionResult(cfg -> {
      var tx = cfg.dsl();
      tx.select(JOBS.ID).from(JOBS).where(JOBS.ID.eq(jobId)).forUpdate().fetchOne(); // lock order: job, then tasks
      // whoever ends or requeues the task holds the job's lock too: under it, this answer stays true
      boolean stillHeld = tx.fetchExists(JOB_TASKS, JOB_TASKS.ID.eq(task.getId())
          .and(JOB_TASKS.ASSIGNMENT_ID.eq(assignmentId))
          .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())));
      if (!stillHeld) {
        return ReportOutcome.STALE;
      }
      Boolean inserted = tx.insertInto(JOB_OUTPUTS)
          .set(JOB_OUTPUTS.JOB_ID, jobId)
          .set(JOB_OUTPUTS.FRAME, report.frame())
          .set(JOB_OUTPUTS.TASK_ID, task.getId())
          .set(JOB_OUTPUTS.ASSIGNMENT_ID, assignmentId)
          .set(JOB_OUTPUTS.NAME, report.name())
          .set(JOB_OUTPUTS.OBJECT_KEY, key)
          .set(JOB_OUTPUTS.SIZE_BYTES, report.sizeBytes())
          .set(JOB_OUTPUTS.SHA256, report.sha256())
          .set(JOB_OUTPUTS.CONTENT_TYPE, format.contentType())
          .set(JOB_OUTPUTS.CREATED_AT, now)
          .onConflict(JOB_OUTPUTS.JOB_ID, JOB_OUTPUTS.FRAME).doUpdate()
          .set(JOB_OUTPUTS.TASK_ID, task.getId())
          .set(JOB_OUTPUTS.ASSIGNMENT_ID, assignmentId)
          .set(JOB_OUTPUTS.OBJECT_KEY, key)
          .set(JOB_OUTPUTS.SIZE_BYTES, report.sizeBytes())
          .set(JOB_OUTPUTS.SHA256, report.sha256())
          .set(JOB_OUTPUTS.CREATED_AT, now)
          .returningResult(DSL.field("xmax = 0", Boolean.class))
          .fetchOne(0, Boolean.class);
      if (Boolean.TRUE.equals(inserted)) {
        tx.update(JOBS).set(JOBS.FRAMES_DONE, JOBS.FRAMES_DONE.plus(1)).set(JOBS.UPDATED_AT, now)
            .where(JOBS.ID.eq(jobId)).execute();
      }
      return ReportOutcome.APPLIED;
    });
  }

  /** The delivered outputs of a job, in frame order. */
  public List<JobOutput> list(UUID jobId) {
    return database.dsl().selectFrom(JOB_OUTPUTS).where(JOB_OUTPUTS.JOB_ID.eq(jobId))
        .orderBy(JOB_OUTPUTS.FRAME.asc())
        .fetch(row -> new JobOutput(row.getFrame(), row.getName(), row.getSizeBytes(), row.getSha256(),
            row.getContentType(), row.getObjectKey()));
  }

  /** Why the report cannot be one of the task's frames, or empty. */
  private static Optional<String> mismatch(JobTasksRecord task, OutputFormat format, OutputReport report) {
    if (task.getFrameStart() == null) {
      return Optional.of("the task has no frames");
    }
    int frame = report.frame();
    if (frame < task.getFrameStart() || frame > task.getFrameEnd() || (frame - task.getFrameStart()) % task.getFrameStep() != 0) {
      return Optional.of("frame " + frame + " is not one of the task's");
    }
    if (!format.fileName(frame).equals(report.name())) {
      return Optional.of("the name is not " + format.fileName(frame));
    }
    if (report.sizeBytes() < 0 || !SHA256.matcher(report.sha256()).matches()) {
      return Optional.of("size or sha256 malformed");
    }
    return Optional.empty();
  }

  /** Why the stored object is not what the node reported, or empty when it is. */
  private Optional<String> storedMismatch(String key, OutputReport report) {
    Optional<StoredObject> stored;
    try {
      stored = results.stat(key);
    } catch (IOException | RuntimeException e) {
      log.warn("checking stored output {} failed", key, e);
      return Optional.of("the stored object could not be checked");
    }
    if (stored.isEmpty()) {
      return Optional.of("nothing is stored");
    }
    if (stored.get().sizeBytes() != report.sizeBytes()) {
      return Optional.of(stored.get().sizeBytes() + " bytes are stored, not " + report.sizeBytes());
    }
    if (stored.get().sha256().isPresent() && !stored.get().sha256().get().equals(report.sha256())) {
      return Optional.of("the stored bytes have another SHA-256");
    }
    return Optional.empty();
  }

  /**
   * The job's result reference if the task delivered what it owes: a job without frames stores
   * its result at the assignment's key; a render task must have delivered each of its frames
   * under this assignment. An agent that predates outputs renders a one-frame job to the
   * assignment's key as before: with no frame reported, that is the result. Empty when frames
   * are missing.
   */
  static Optional<String> resultOf(DSLContext tx, JobTasksRecord task, UUID assignmentId) {
    String legacy = ResultStore.resultKey(task.getJobId(), assignmentId);
    if (task.getFrameStart() == null) {
      return Optional.of(legacy);
    }
    int owed = (task.getFrameEnd() - task.getFrameStart()) / task.getFrameStep() + 1;
    int delivered = tx.fetchCount(JOB_OUTPUTS, JOB_OUTPUTS.TASK_ID.eq(task.getId())
        .and(JOB_OUTPUTS.ASSIGNMENT_ID.eq(assignmentId)));
    Record job = tx.select(JOBS.FRAMES_TOTAL).from(JOBS).where(JOBS.ID.eq(task.getJobId())).fetchSingle();
    int framesTotal = job.get(JOBS.FRAMES_TOTAL);
    if (delivered == 0 && framesTotal == 1) {
      return Optional.of(legacy);
    }
    if (delivered < owed) {
      return Optional.empty();
    }
    if (framesTotal == 1) {
      return Optional.of(tx.select(JOB_OUTPUTS.OBJECT_KEY).from(JOB_OUTPUTS)
          .where(JOB_OUTPUTS.JOB_ID.eq(task.getJobId())).fetchSingle(JOB_OUTPUTS.OBJECT_KEY));
    }
    return Optional.of(ResultStore.outputsPrefix(task.getJobId()));
  }
}
