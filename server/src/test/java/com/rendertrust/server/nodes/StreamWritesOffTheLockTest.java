package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.jobs.ActiveAssignment;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stream's heartbeats and accepts wait for the database without the session's lock, and an
 * accept is written off the stream: while one of them is held up (a row it writes locked by
 * another transaction), the node still gets its dispatches and its next frames are handled.
 * With the lock held across the write, the dispatch waited for the row.
 */
class StreamWritesOffTheLockTest {

  /** Well under the stream's heartbeat timeout (production's), well over a dispatch's delivery. */
  private static final Duration DELIVERY = Duration.ofSeconds(5);

  private static TestServer server;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aDispatchReachesTheNodeWhileItsAcceptWaitsForTheJobsRow() throws Exception {
    TestNode.Stream stream = JobsTesting.quietNode(server, "held-accept", 2);
    UUID user = funded();
    String first = submit(user, "held-accept");
    JobDispatch firstDispatch = stream.dispatch();
    whileAWriteWaits("SELECT 1 FROM jobs WHERE id = ? FOR UPDATE", UUID.fromString(first),
        () -> stream.accept(firstDispatch), "%job_tasks_start_all%", () -> {
          String second = submit(user, "held-accept");
          ConnectResponse delivered = stream.poll(ConnectResponse::hasDispatch, DELIVERY);
          assertThat(delivered).as("the second dispatch, delivered while the first accept waits").isNotNull();
          assertThat(delivered.getDispatch().getJobId()).isEqualTo(second);
          assertThat(status(first)).isEqualTo("DISPATCHED");
        });
    eventually("the first job RUNNING", () -> status(first).equals("RUNNING"));
    assertThat(stream.poll(ConnectResponse::hasCancel, Duration.ofMillis(300))).isNull();
    JobsTesting.assertSlotsMatchJobs(server);
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
  }

  @Test
  void aDispatchReachesTheNodeWhileItsHeartbeatWaitsForTheNodesRow() throws Exception {
    TestNode.Stream stream = JobsTesting.quietNode(server, "held-heartbeat", 2);
    UUID nodeId = stream.node().id();
    UUID user = funded();
    String jobId = submit(user, "held-heartbeat");
    JobDispatch first = stream.dispatch();
    // a dispatch committed before its job was cancelled, announced only now: the stream sends it
    // as it is, without touching the node's row (which everything that changes the node's jobs does)
    ActiveAssignment committed = JobsTesting.network(server).lifecycle()
        .activeAssignment(nodeId, UUID.fromString(first.getAssignmentId())).orElseThrow();
    JobsTesting.network(server).jobs().cancel(user, jobId);
    assertThat(stream.cancel().getCancel().getJobId()).isEqualTo(jobId);
    whileAWriteWaits("SELECT 1 FROM nodes WHERE id = ? FOR SHARE", nodeId, () -> stream.heartbeat(0.25),
        "%last_heartbeat_at%unnest%", () -> {
          JobsTesting.network(server).sessions().dispatched(nodeId, committed);
          ConnectResponse delivered = stream.poll(ConnectResponse::hasDispatch, DELIVERY);
          assertThat(delivered).as("the dispatch, delivered while the heartbeat waits").isNotNull();
          assertThat(delivered.getDispatch().getAssignmentId()).isEqualTo(first.getAssignmentId());
        });
    stream.accept(first); // its job was cancelled: the node is told to drop it
    assertThat(stream.cancel().getCancel().getAssignmentId()).isEqualTo(first.getAssignmentId());
    eventually("the heartbeat written", () -> server.controlPlane().database().dsl()
        .fetchValue("SELECT current_load FROM nodes WHERE id = ?", nodeId).equals(0.25));
    eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
    JobsTesting.assertSlotsMatchJobs(server);
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
  }

  @Test
  void theStreamGoesOnWhileAnAcceptWaitsAndItsTasksResultIsWrittenAfterIt() throws Exception {
    TestNode.Stream stream = JobsTesting.quietNode(server, "held-start", 2);
    UUID nodeId = stream.node().id();
    UUID user = funded();
    String jobId = submit(user, "held-start");
    JobDispatch dispatch = stream.dispatch();
    whileAWriteWaits("SELECT 1 FROM jobs WHERE id = ? FOR UPDATE", UUID.fromString(jobId),
        () -> stream.accept(dispatch), "%job_tasks_start_all%", () -> {
          stream.complete(dispatch); // must wait for its accept
          stream.heartbeat(0.75); // the stream's next frames are handled meanwhile
          eventually("the heartbeat written while the accept waits", () -> server.controlPlane().database().dsl()
              .fetchValue("SELECT current_load FROM nodes WHERE id = ?", nodeId).equals(0.75));
          assertThat(status(jobId)).isEqualTo("DISPATCHED");
        });
    eventually("COMPLETED", () -> status(jobId).equals("COMPLETED"));
    assertThat(server.controlPlane().database().dsl().fetch(
            "SELECT type FROM job_events WHERE job_id = ? AND type LIKE 'task.%' ORDER BY seq", UUID.fromString(jobId))
        .getValues(0, String.class)).containsExactly("task.dispatched", "task.started", "task.completed");
    eventually("captured", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
    assertThat(stream.poll(ConnectResponse::hasCancel, Duration.ofMillis(300))).isNull();
    JobsTesting.assertSlotsMatchJobs(server);
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
  }

  /**
   * Locks a row ({@code lockSql} with {@code id}) in a transaction of the test's own, starts a
   * write of the stream that waits for it ({@code start}; seen waiting: a statement matching
   * {@code pattern}), runs {@code meanwhile}, then rolls back, which lets the write go on.
   */
  private static void whileAWriteWaits(String lockSql, UUID id, Runnable start, String pattern, Runnable meanwhile)
      throws Exception {
    try (Connection holder = server.controlPlane().database().dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (PreparedStatement statement = holder.prepareStatement(lockSql)) {
        statement.setObject(1, id);
        statement.executeQuery().close();
      }
      start.run();
      eventually("the write waits for the locked row", () -> waiting(pattern));
      meanwhile.run();
      holder.rollback();
    }
  }

  /** Whether a statement matching {@code pattern} (LIKE) waits for a lock. */
  private static boolean waiting(String pattern) {
    return server.controlPlane().database().dsl().fetch(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ?", pattern).isNotEmpty();
  }

  private static UUID funded() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    return user;
  }

  private static String submit(UUID user, String jobType) {
    return Json.parse(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + jobType + "\"}", "Authorization",
        userBearer(server, user)).body()).get("job_id").asText();
  }

  private static String status(String jobId) {
    return server.controlPlane().database().dsl().select(JOBS.STATUS).from(JOBS)
        .where(JOBS.ID.eq(UUID.fromString(jobId))).fetchSingle(JOBS.STATUS);
  }
}
