package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.PerJobType;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fencing by assignment id, timeouts and retries, lost and returning nodes, node health, and
 * settlement retries (reliability.md: node stream, fencing, stuck jobs). Time is a hand-moved
 * clock and the sweeper runs when the test says so.
 */
class FencingAndTimeoutsTest {

  private static JobLedger ledger;
  private static final MutableClock clock = new MutableClock();
  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(() -> {
    JobsConfig config = JobsTesting.sweptByHand(
        new PerJobType<>(Map.of("slow", Duration.ofSeconds(60)), Duration.ofHours(1)));
    return JobsTesting.start(JobsTesting.config(config), clock);
  }, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void invariantsHold() {
    ledger.checkInvariants();
    DSLContext dsl = dsl();
    // every node's slot count equals the jobs it holds, and no job has two open assignments
    for (NodesRecord node : dsl.selectFrom(NODES).fetch()) {
      int held = dsl.fetchCount(JOBS, JOBS.NODE_ID.eq(node.getId()).and(JOBS.STATUS.in("DISPATCHED", "RUNNING")));
      assertThat(node.getActiveJobs()).as("active jobs of node " + node.getId()).isEqualTo(held);
    }
    assertThat(dsl.fetchCount(dsl.select(JOB_ASSIGNMENTS.JOB_ID).from(JOB_ASSIGNMENTS)
        .where(JOB_ASSIGNMENTS.ENDED_AT.isNull()).groupBy(JOB_ASSIGNMENTS.JOB_ID)
        .having(org.jooq.impl.DSL.count().gt(1)))).isZero();
  }

  @Test
  void aJobNotStartedInTimeIsRequeuedAndTheOldAssignmentIsFenced() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    JobDispatch first = node.dispatch();

    advance(Duration.ofMinutes(5).plusSeconds(1), node);
    sweep();
    JobDispatch second = node.dispatch();
    assertThat(second.getJobId()).isEqualTo(jobId);
    assertThat(second.getAssignmentId()).isNotEqualTo(first.getAssignmentId());
    ConnectResponse withdrawn = node.cancel();
    assertThat(withdrawn.getCancel().getAssignmentId()).isEqualTo(first.getAssignmentId());
    assertThat(job(jobId).getRetryCount()).isEqualTo(1);
    assertThat(node(node).getConsecutiveFailures()).isEqualTo(1);

    // the stale holder's reports change nothing
    node.accept(first);
    node.complete(first);
    ConnectResponse again = node.cancel();
    assertThat(again.getCancel().getAssignmentId()).isEqualTo(first.getAssignmentId());
    assertThat(job(jobId).getStatus()).isEqualTo("DISPATCHED");

    node.accept(second);
    node.complete(second);
    eventually("completed", () -> job(jobId).getStatus().equals("COMPLETED"));
    assertThat(job(jobId).getResultRef()).endsWith(second.getAssignmentId());
    eventually("captured", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
  }

  @Test
  void afterThreeRetriesAJobIsDeadLetteredAndItsHoldReleased() {
    String type = newType();
    TestNode.Stream a = readyNode(type, 1);
    TestNode.Stream b = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    for (int attempt = 0; attempt <= 3; attempt++) {
      int attemptNumber = attempt;
      eventually("attempt " + attemptNumber + " dispatched", () -> job(jobId).getStatus().equals("DISPATCHED")
          && job(jobId).getRetryCount() == attemptNumber);
      advance(Duration.ofMinutes(6), a, b);
      sweep();
    }
    JobsRecord job = job(jobId);
    assertThat(job.getStatus()).isEqualTo("FAILED");
    assertThat(job.getRetryCount()).isEqualTo(3);
    assertThat(job.getErrorMessage()).contains("gave up after 3 retries").contains("not started");
    assertThat(job.getCompletedAt()).isNotNull();
    eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
    assertThat(ledger.available(user)).isEqualTo(ledger.balance(user));
    assertThat(dsl().select(JOB_ASSIGNMENTS.OUTCOME).from(JOB_ASSIGNMENTS)
        .where(JOB_ASSIGNMENTS.JOB_ID.eq(UUID.fromString(jobId))).orderBy(JOB_ASSIGNMENTS.CREATED_AT)
        .fetch(JOB_ASSIGNMENTS.OUTCOME))
        .containsExactly("REQUEUED", "REQUEUED", "REQUEUED", "DEAD_LETTERED");
  }

  @Test
  void aJobRunningPastItsTypesMaximumRunTimeIsRequeued() {
    TestNode.Stream node = readyNode("slow", 1);
    UUID user = funded();
    String jobId = submit(user, "slow");
    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getMaxRuntimeSeconds()).isEqualTo(60);
    node.accept(dispatch);
    eventually("running", () -> job(jobId).getStatus().equals("RUNNING"));
    advance(Duration.ofSeconds(30), node);
    sweep();
    assertThat(job(jobId).getStatus()).isEqualTo("RUNNING");
    advance(Duration.ofSeconds(31), node);
    sweep();
    JobDispatch retry = node.dispatch();
    assertThat(retry.getJobId()).isEqualTo(jobId);
    assertThat(job(jobId).getRetryCount()).isEqualTo(1);
    node.accept(retry);
    node.complete(retry);
    eventually("completed", () -> job(jobId).getStatus().equals("COMPLETED"));
  }

  @Test
  void aLostStreamsJobsWaitForTheReconnectGraceThenGoBackToTheQueue() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    node.accept(node.dispatch());
    eventually("running", () -> job(jobId).getStatus().equals("RUNNING"));
    node.abort();
    eventually("stream gone", () -> node(node).getStreamSession() == null);

    advance(Duration.ofSeconds(20));
    sweep();
    assertThat(job(jobId).getStatus()).as("within the grace").isEqualTo("RUNNING");
    advance(Duration.ofSeconds(11));
    sweep();
    JobsRecord job = job(jobId);
    assertThat(job.getStatus()).isEqualTo("QUEUED");
    assertThat(job.getRetryCount()).isEqualTo(1);
    assertThat(job.getAssignmentId()).isNull();
    assertThat(node(node).getConsecutiveFailures()).as("a lost link is not the node's failure").isZero();
    // the job waits for a capable node: a new one takes it
    TestNode.Stream other = readyNode(type, 1);
    assertThat(other.dispatch().getJobId()).isEqualTo(jobId);
  }

  @Test
  void aNodeThatReconnectsWithinTheGraceResumesItsJob() {
    LostStream lost = runningJobWhoseStreamDropped();

    TestNode.Stream second = reconnectWithinAMinute(lost);
    assertThat(job(lost.jobId()).getStatus()).isEqualTo("RUNNING");
    assertResumedAndCompletes(lost, second);
  }

  @Test
  void aServerDownLongerThanTheGraceLeavesItsNodesTheirJobsWhenTheyReconnect() {
    LostStream lost = runningJobWhoseStreamDropped();

    restartAfterTwoMinutesDown();
    sweep();
    assertThat(job(lost.jobId()).getStatus()).as("the node could not reconnect while the server was down")
        .isEqualTo("RUNNING");

    assertResumedAndCompletes(lost, reconnectWithinAMinute(lost));
  }

  @Test
  void afterARestartTheJobsOfANodeThatStaysAwayAreRequeuedOneGraceLater() {
    String jobId = runningJobWhoseStreamDropped().jobId();

    restartAfterTwoMinutesDown();
    advance(Duration.ofSeconds(20));
    sweep();
    assertThat(job(jobId).getStatus()).as("within the grace after the restart").isEqualTo("RUNNING");
    advance(Duration.ofSeconds(11));
    sweep();
    assertThat(job(jobId).getStatus()).isEqualTo("QUEUED");
    assertThat(job(jobId).getRetryCount()).isEqualTo(1);
  }

  @Test
  void reconnectingWithoutARunningJobRequeuesItAndAListedStaleJobIsCancelled() {
    String type = newType();
    TestNode.Stream first = readyNode(type, 2);
    UUID user = funded();
    String running = submit(user, type);
    String dispatchedOnly = submit(user, type);
    JobDispatch a = first.dispatch();
    JobDispatch b = first.dispatch();
    JobDispatch runningDispatch = a.getJobId().equals(running) ? a : b;
    JobDispatch waitingDispatch = a.getJobId().equals(running) ? b : a;
    first.accept(runningDispatch);
    eventually("running", () -> job(running).getStatus().equals("RUNNING"));
    first.abort();
    eventually("stream gone", () -> node(first).getStreamSession() == null);

    String bogusJob = UUID.randomUUID().toString();
    TestNode.Stream second = first.node().connect(server.channel(), Hello.newBuilder().setSlots(2)
        .addRunning(com.rendertrust.api.v1.RunningJob.newBuilder().setJobId(bogusJob)
            .setAssignmentId(UUID.randomUUID().toString())));
    second.welcome();
    assertThat(second.cancel().getCancel().getJobId()).isEqualTo(bogusJob);
    // the job it was only sent is sent again, same assignment; the one it ran is lost and requeued
    List<JobDispatch> redelivered = List.of(second.dispatch(), second.dispatch());
    assertThat(redelivered).extracting(JobDispatch::getJobId).containsExactlyInAnyOrder(dispatchedOnly, running);
    assertThat(redelivered).filteredOn(d -> d.getJobId().equals(dispatchedOnly))
        .extracting(JobDispatch::getAssignmentId).containsExactly(waitingDispatch.getAssignmentId());
    assertThat(job(running).getRetryCount()).isEqualTo(1);
    assertThat(job(dispatchedOnly).getRetryCount()).isZero();
  }

  @Test
  void resultsForUnknownFinishedOrForeignJobsChangeNothing() {
    String type = newType();
    TestNode.Stream owner = readyNode(type, 1);
    TestNode.Stream intruder = readyNode(newType(), 1);
    UUID user = funded();
    String jobId = submit(user, type);
    JobDispatch dispatch = owner.dispatch();

    intruder.result(jobId, dispatch.getAssignmentId(), JobOutcome.JOB_OUTCOME_FAILED, "forged");
    intruder.result(UUID.randomUUID().toString(), UUID.randomUUID().toString(), JobOutcome.JOB_OUTCOME_COMPLETED, "");
    intruder.result("not-a-uuid", "x", JobOutcome.JOB_OUTCOME_COMPLETED, "");
    owner.result(jobId, dispatch.getAssignmentId(), JobOutcome.JOB_OUTCOME_UNSPECIFIED, "");
    intruder.heartbeat(0.1); // both streams stay open and answered
    owner.heartbeat(0.1);
    eventually("heartbeats", () -> node(intruder).getCurrentLoad() == 0.1 && node(owner).getCurrentLoad() == 0.1);
    assertThat(job(jobId).getStatus()).isEqualTo("DISPATCHED");
    assertThat(intruder.isClosed()).isFalse();

    owner.complete(dispatch);
    eventually("completed", () -> job(jobId).getStatus().equals("COMPLETED"));
    owner.complete(dispatch); // a resent result after the fact
    owner.fail(dispatch, "late failure");
    owner.heartbeat(0.2);
    eventually("heartbeat", () -> node(owner).getCurrentLoad() == 0.2);
    assertThat(job(jobId).getStatus()).isEqualTo("COMPLETED");
    assertThat(job(jobId).getErrorMessage()).isNull();
    eventually("captured", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
  }

  @Test
  void aNodeFailingThreeJobsInARowTurnsUnhealthyAndRecoversAfterTheCoolDown() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    for (int i = 0; i < 3; i++) {
      String jobId = submit(user, type);
      JobDispatch dispatch = node.dispatch();
      node.accept(dispatch);
      node.fail(dispatch, "the scene cannot be opened", "INVALID_INPUT"); // fails the job at once, no retry
      eventually("failed", () -> job(jobId).getStatus().equals("FAILED"));
      assertThat(job(jobId).getErrorMessage()).isEqualTo("the scene cannot be opened");
      eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
    }
    assertThat(node(node).getStatus()).isEqualTo("UNHEALTHY");
    assertThat(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + type + "\"}", "Authorization", userBearer(server, user))
        .statusCode()).as("no healthy node left for the type").isEqualTo(400);

    advance(Duration.ofMinutes(2), node);
    assertThat(node(node).getStatus()).as("still cooling down").isEqualTo("UNHEALTHY");
    advance(Duration.ofMinutes(4), node);
    assertThat(node(node).getStatus()).isEqualTo("HEALTHY");
    assertThat(node(node).getConsecutiveFailures()).isZero();
    String recovered = submit(user, type);
    assertThat(node.dispatch().getJobId()).isEqualTo(recovered);
  }

  @Test
  void aSilentNodeGoesOfflineLosesItsJobsAndComesBackWithAHeartbeat() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    node.dispatch();
    advance(Duration.ofMinutes(5).plusSeconds(1));
    sweep();
    NodesRecord row = node(node);
    assertThat(row.getStatus()).isEqualTo("OFFLINE");
    assertThat(row.getStreamSession()).isNull();
    assertThat(job(jobId).getStatus()).isEqualTo("QUEUED");
    // its (stale) stream is fenced: the next heartbeat on it ends it
    node.heartbeat(0.3);
    assertThat(node.closeReason()).isEqualTo("STALE_ASSIGNMENT");
    assertThat(Json.parse(server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":0.1}",
        "Authorization", "Bearer " + node.node().token()).body()).get("status").asText()).isEqualTo("HEALTHY");
    TestNode.Stream back = node.node().connect(server.channel(), 1);
    assertThat(back.dispatch().getJobId()).isEqualTo(jobId);
  }

  @Test
  void aFailedSettlementIsRetriedByTheSweeperAndChargesOnce() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    JobDispatch dispatch = node.dispatch();
    // The ledger's database refuses this job's capture (a trigger on its hold); the sequence
    // counts attempts outside the rolled-back transactions.
    dsl().execute("CREATE SEQUENCE test_capture_attempts");
    dsl().execute("CREATE FUNCTION test_refuse_capture() RETURNS trigger LANGUAGE plpgsql AS $$ "
        + "BEGIN PERFORM nextval('test_capture_attempts'); RAISE EXCEPTION 'injected capture failure'; END $$");
    dsl().execute("CREATE TRIGGER test_refuse_capture BEFORE UPDATE ON credit_holds FOR EACH ROW "
        + "WHEN (OLD.job_id = '" + UUID.fromString(jobId) + "'::uuid AND NEW.status = 'CAPTURED') "
        + "EXECUTE FUNCTION test_refuse_capture()");
    try {
      node.complete(dispatch);
      eventually("completed", () -> job(jobId).getStatus().equals("COMPLETED"));
      eventually("capture attempted", () -> Boolean.TRUE.equals(dsl().fetchValue(
          "SELECT is_called FROM test_capture_attempts")));
      assertThat(job(jobId).getSettlement()).isEqualTo("CAPTURE_PENDING");
      assertThat(ledger.holdStatus(UUID.fromString(jobId))).isEqualTo(HoldStatus.ACTIVE);
    } finally {
      dsl().execute("DROP TRIGGER test_refuse_capture ON credit_holds");
      dsl().execute("DROP FUNCTION test_refuse_capture()");
      dsl().execute("DROP SEQUENCE test_capture_attempts");
    }
    advance(Duration.ofSeconds(3), node);
    sweep();
    assertThat(job(jobId).getSettlement()).isEqualTo("CAPTURED");
    assertThat(ledger.holdStatus(UUID.fromString(jobId))).isEqualTo(HoldStatus.CAPTURED);
    sweep();
    assertThat(ledger.balance(user)).isEqualTo(1_000_000 - 10_000);
  }

  @Test
  void aSubmissionInterruptedBeforeItsHoldWasConfirmedIsFailedAndReleased() {
    UUID user = funded();
    UUID jobId = UUID.randomUUID();
    server.controlPlane().jobHolds().hold(jobId, user, new CreditAmount(10_000)); // the hold was placed, then the replica died
    dsl().insertInto(JOBS)
        .set(JOBS.ID, jobId).set(JOBS.USER_ID, user).set(JOBS.JOB_TYPE, "render").set(JOBS.PRIORITY, "normal")
        .set(JOBS.PRIORITY_RANK, (short) 1).set(JOBS.GPU_REQUIRED, false).set(JOBS.STATUS, "QUEUED")
        .set(JOBS.PRICE, 10_000L).set(JOBS.SETTLEMENT, "HOLD_PENDING").set(JOBS.REQUEST_HASH, "x")
        .set(JOBS.QUEUED_AT, Timestamps.toDb(clock.instant())).set(JOBS.CREATED_AT, Timestamps.toDb(clock.instant()))
        .set(JOBS.UPDATED_AT, Timestamps.toDb(clock.instant()))
        .execute();
    sweep();
    assertThat(job(jobId.toString()).getStatus()).as("too young to be abandoned").isEqualTo("QUEUED");
    advance(Duration.ofMinutes(2));
    sweep();
    assertThat(job(jobId.toString()).getStatus()).isEqualTo("FAILED");
    assertThat(job(jobId.toString()).getSettlement()).isEqualTo("RELEASED");
    assertThat(ledger.holdStatus(jobId)).isEqualTo(HoldStatus.RELEASED);
  }

  @Test
  void onlyOneReplicaSweepsAtATime() throws Exception {
    Sweeper sweeper = JobsTesting.network(server).sweeper();
    try (Connection other = server.controlPlane().database().dataSource().getConnection();
         PreparedStatement lock = other.prepareStatement("SELECT pg_advisory_lock(?)");
         PreparedStatement unlock = other.prepareStatement("SELECT pg_advisory_unlock(?)")) {
      lock.setLong(1, Sweeper.LOCK_KEY);
      lock.execute();
      assertThat(sweeper.sweepIfLeader()).isFalse();
      unlock.setLong(1, Sweeper.LOCK_KEY);
      unlock.execute();
    }
    assertThat(sweeper.sweepIfLeader()).isTrue();
  }

  // ---- helpers ----

  /** Moves time; the given streams heartbeat at the new time (the others stay silent). */
  private static void advance(Duration duration, TestNode.Stream... alive) {
    clock.advance(duration);
    for (TestNode.Stream stream : alive) {
      stream.heartbeat(0);
      eventually("heartbeat recorded", () -> node(stream).getLastHeartbeatAt().toInstant()
          .equals(Timestamps.toDb(clock.instant()).toInstant()));
    }
  }

  private static void sweep() {
    JobsTesting.network(server).sweeper().sweep();
  }

  private static String newType() {
    return "ft-" + types.incrementAndGet();
  }

  private static UUID funded() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 1_000_000);
    return user;
  }

  private static TestNode.Stream readyNode(String type, int slots) {
    TestNode node = TestNode.ready(server.channel(), "node-" + type, List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), slots);
    stream.welcome();
    return stream;
  }

  private static String submit(UUID user, String type) {
    var response = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + type + "\"}", "Authorization", userBearer(server, user));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body()).get("job_id").asText();
  }

  private static JobsRecord job(String id) {
    return dsl().selectFrom(JOBS).where(JOBS.ID.eq(UUID.fromString(id))).fetchSingle();
  }

  private static NodesRecord node(TestNode.Stream stream) {
    return dsl().selectFrom(NODES).where(NODES.ID.eq(stream.node().id())).fetchSingle();
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }

  /** A job RUNNING on a node whose stream then broke (the node still runs it). */
  private record LostStream(TestNode.Stream stream, String jobId, JobDispatch dispatch) {}

  private LostStream runningJobWhoseStreamDropped() {
    String type = newType();
    TestNode.Stream first = readyNode(type, 1);
    UUID user = funded();
    String jobId = submit(user, type);
    JobDispatch dispatch = first.dispatch();
    first.accept(dispatch);
    eventually("running", () -> job(jobId).getStatus().equals("RUNNING"));
    first.abort();
    eventually("stream gone", () -> node(first).getStreamSession() == null);
    return new LostStream(first, jobId, dispatch);
  }

  /** The node reconnects listing the job as running, then a minute of heartbeats and a sweep pass. */
  private TestNode.Stream reconnectWithinAMinute(LostStream lost) {
    TestNode.Stream second = lost.stream().node().connect(server.channel(),
        Hello.newBuilder().setSlots(1).addRunning(TestNode.Stream.running(lost.dispatch())));
    second.welcome();
    advance(Duration.ofMinutes(1), second);
    sweep();
    return second;
  }

  private void assertResumedAndCompletes(LostStream lost, TestNode.Stream second) {
    assertThat(job(lost.jobId()).getAssignmentId().toString()).isEqualTo(lost.dispatch().getAssignmentId());
    second.complete(lost.dispatch());
    eventually("completed", () -> job(lost.jobId()).getStatus().equals("COMPLETED"));
    assertThat(job(lost.jobId()).getRetryCount()).isZero();
  }

  /** The server is down for two minutes (four graces), then serves again. */
  private void restartAfterTwoMinutesDown() {
    clock.advance(Duration.ofMinutes(2));
    JobsTesting.network(server).sweeper().countAbsencesFrom(clock.instant());
  }
}
