package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_EVENTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nodes' progress reports wait in memory: the task's next transition records a waiting report in
 * its own statement, the periodic flush writes the rest in one transaction, a stale report is
 * dropped, and a report whose job a transition holds waits for the next flush.
 */
class ProgressCoalescingTest {

  private static TestServer server;
  private static TestNode.Stream node;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    node = JobsTesting.readyNode(server, "echo", 4);
  }

  @AfterAll
  static void stop() {
    JobsTesting.closeStreams(server, List.of(node));
    server.close();
  }

  @Test
  void aReportFollowedAtOnceByTheResultIsRecordedJustBeforeTheTaskCompleted() {
    JobDispatch dispatch = submitAndAccept();
    assertThat(node.upload(dispatch, new byte[] {1})).isEqualTo(200);
    node.progress(dispatch, 70);
    node.complete(dispatch);
    UUID job = UUID.fromString(dispatch.getJobId());
    eventually("completed", () -> types(job).contains("job.completed"));

    assertThat(types(job)).containsExactly("job.created", "task.dispatched", "task.started", "task.progress",
        "task.completed", "job.completed");
    assertThat(dsl().select(JOB_EVENTS.PROGRESS).from(JOB_EVENTS)
        .where(JOB_EVENTS.JOB_ID.eq(job).and(JOB_EVENTS.TYPE.eq("task.progress"))).fetchSingle(JOB_EVENTS.PROGRESS))
        .isEqualTo(0.7);
    assertThat(dsl().select(JOBS.REPORTED_PROGRESS).from(JOBS).where(JOBS.ID.eq(job)).fetchSingle(JOBS.REPORTED_PROGRESS))
        .as("a completed job's nodes are done").isEqualTo(1.0);
  }

  @Test
  void aWaitingReportIsWrittenByTheFlushWithTheTaskAndTheJobsAggregate() {
    JobDispatch dispatch = submitAndAccept();
    UUID job = UUID.fromString(dispatch.getJobId());
    lifecycle().progress(node.node().id(), job, UUID.fromString(dispatch.getAssignmentId()), 40, 0, "rendering");
    lifecycle().flushProgress();

    assertThat(types(job)).containsExactly("job.created", "task.dispatched", "task.started", "task.progress");
    assertThat(dsl().select(JOB_TASKS.PROGRESS_PERCENT).from(JOB_TASKS).where(JOB_TASKS.JOB_ID.eq(job))
        .fetchSingle(JOB_TASKS.PROGRESS_PERCENT)).isEqualTo(40);
    assertThat(dsl().select(JOBS.REPORTED_PROGRESS).from(JOBS).where(JOBS.ID.eq(job)).fetchSingle(JOBS.REPORTED_PROGRESS))
        .isEqualTo(0.4);
    finish(dispatch);
    eventually("completed", () -> types(job).contains("job.completed"));
    assertThat(types(job)).containsOnlyOnce("task.progress");
  }

  @Test
  void aReportFromANodeThatDoesNotHoldTheTaskIsDroppedWhenWritten() {
    JobDispatch dispatch = submitAndAccept();
    UUID job = UUID.fromString(dispatch.getJobId());
    lifecycle().progress(node.node().id(), job, UUID.randomUUID(), 50, 0, "");
    lifecycle().progress(UUID.randomUUID(), job, UUID.fromString(dispatch.getAssignmentId()), 60, 0, "");
    lifecycle().flushProgress();

    assertThat(types(job)).doesNotContain("task.progress");
    assertThat(dsl().select(JOB_TASKS.PROGRESS_AT).from(JOB_TASKS).where(JOB_TASKS.JOB_ID.eq(job))
        .fetchSingle(JOB_TASKS.PROGRESS_AT)).isNull();
    finish(dispatch);
    eventually("completed", () -> types(job).contains("job.completed"));
  }

  @Test
  void aReportWhoseJobATransitionHoldsWaitsForTheNextFlush() throws Exception {
    JobDispatch dispatch = submitAndAccept();
    UUID job = UUID.fromString(dispatch.getJobId());
    CountDownLatch locked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> dsl().transaction(cfg -> {
      cfg.dsl().select(JOBS.ID).from(JOBS).where(JOBS.ID.eq(job)).forUpdate().fetch();
      locked.countDown();
      assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
    }));
    assertThat(locked.await(20, TimeUnit.SECONDS)).isTrue();
    lifecycle().progress(node.node().id(), job, UUID.fromString(dispatch.getAssignmentId()), 30, 0, "");
    lifecycle().flushProgress();
    assertThat(types(job)).as("the job's row is locked: nothing written, nothing waited for")
        .doesNotContain("task.progress");

    release.countDown();
    holder.get(20, TimeUnit.SECONDS);
    eventually("the kept report is written", () -> {
      lifecycle().flushProgress();
      return types(job).contains("task.progress");
    });
    finish(dispatch);
    eventually("completed", () -> types(job).contains("job.completed"));
  }

  private static void finish(JobDispatch dispatch) {
    assertThat(node.upload(dispatch, new byte[] {1})).isEqualTo(200);
    node.complete(dispatch);
  }

  private static JobDispatch submitAndAccept() {
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}",
        "Authorization", userBearer(server, UUID.randomUUID()));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(Json.parse(submitted.body()).get("job_id").asText());
    node.accept(dispatch);
    UUID job = UUID.fromString(dispatch.getJobId());
    eventually("started", () -> types(job).contains("task.started"));
    return dispatch;
  }

  private static List<String> types(UUID job) {
    return dsl().select(JOB_EVENTS.TYPE).from(JOB_EVENTS).where(JOB_EVENTS.JOB_ID.eq(job)).orderBy(JOB_EVENTS.SEQ)
        .fetch(JOB_EVENTS.TYPE);
  }

  private static JobLifecycle lifecycle() {
    return JobsTesting.network(server).lifecycle();
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
