package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Connect stream's protocol over in-process gRPC, with a heartbeat timeout of one second. */
class ConnectStreamTest {

  private static JobLedger ledger;
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = JobsTesting.start(JobsTesting.config(shortHeartbeats()), Clock.systemUTC());
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JobsConfig shortHeartbeats() {
    JobsConfig d = JobsTesting.fastJobs();
    return new JobsConfig(d.prices(), d.maxRuntimes(), d.acceptTimeout(), d.maxRetries(), Duration.ofMillis(200),
        Duration.ofSeconds(1), d.offlineAfter(), d.reconnectGrace(), d.unhealthyAfterFailures(),
        d.unhealthyCooldown(), d.challengeTtl(), d.sweepInterval(), d.syncInterval());
  }

  @Test
  void aStreamWithoutANodeTokenIsRefused() throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    StreamObserver<ConnectRequest> requests = NodeServiceGrpc.newStub(server.channel()).connect(new StreamObserver<>() {
      @Override
      public void onNext(ConnectResponse value) {
      }

      @Override
      public void onError(Throwable t) {
        failure.complete(t);
      }

      @Override
      public void onCompleted() {
        failure.complete(null);
      }
    });
    requests.onNext(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setSlots(1)).build());
    Throwable error = failure.get(10, TimeUnit.SECONDS);
    assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void theFirstFrameMustBeHelloAndOnlyTheFirst() {
    TestNode node = TestNode.ready(server.channel(), "s1", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), Hello.newBuilder().setSlots(1));
    stream.welcome();
    stream.send(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setSlots(1)).build());
    assertThat(stream.closeReason()).isEqualTo("INVALID_ARGUMENT");

    TestNode.Stream headless = startWithout(node);
    assertThat(headless.closeReason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(headless.awaitClose().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void invalidHellosAreRefused() {
    TestNode node = TestNode.ready(server.channel(), "s2", List.of("echo"));
    assertThat(node.connect(server.channel(), Hello.newBuilder().setSlots(-1)).closeReason())
        .isEqualTo("INVALID_ARGUMENT");
    assertThat(node.connect(server.channel(), Hello.newBuilder().setSlots(1).addCapabilities("bad type"))
        .closeReason()).isEqualTo("INVALID_ARGUMENT");
  }

  @Test
  void silenceLongerThanTheHeartbeatTimeoutEndsTheStream() {
    TestNode node = TestNode.ready(server.channel(), "s3", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), 1);
    ConnectResponse welcome = stream.welcome();
    assertThat(welcome.getWelcome().getHeartbeatTimeoutSeconds()).isEqualTo(1);
    long started = System.nanoTime();
    assertThat(stream.closeReason()).isEqualTo("HEARTBEAT_TIMEOUT");
    assertThat(stream.awaitClose().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    eventually("stream released", () -> nodeStreamSession(node) == null);
  }

  @Test
  void heartbeatsKeepTheStreamOpen() throws Exception {
    TestNode node = TestNode.ready(server.channel(), "s4", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), 1).keepAlive(Duration.ofMillis(200), null);
    stream.welcome();
    Thread.sleep(2_500); // longer than two heartbeat timeouts: the point of this test
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
    assertThat(stream.awaitClose().isOk()).isTrue();
    eventually("stream released", () -> nodeStreamSession(node) == null);
  }

  @Test
  void aSecondStreamReplacesTheFirstAndTheNodesJobsCarryOver() {
    TestNode node = TestNode.ready(server.channel(), "s5", List.of("carry"));
    TestNode.Stream first = node.connect(server.channel(), 1).keepAlive(Duration.ofMillis(200), null);
    first.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    String jobId = Json.parse(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"carry\"}", "Authorization", userBearer(server, user))
        .body()).get("job_id").asText();
    JobDispatch dispatch = first.dispatch();
    first.accept(dispatch);
    eventually("running", () -> jobStatus(jobId).equals("RUNNING"));

    TestNode.Stream second = node.connect(server.channel(), Hello.newBuilder().setSlots(1)
        .addRunning(TestNode.Stream.running(dispatch))).keepAlive(Duration.ofMillis(200), null);
    second.welcome();
    assertThat(first.closeReason()).isEqualTo("STALE_ASSIGNMENT");
    second.complete(dispatch);
    eventually("completed", () -> jobStatus(jobId).equals("COMPLETED"));
    assertThat(second.isClosed()).isFalse();
    assertThat(nodeStreamSession(node)).isNotNull();
    second.halfClose();
  }

  @Test
  void heartbeatFramesRecordLoadAndMetadata() {
    TestNode node = TestNode.ready(server.channel(), "s6", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), 3);
    stream.welcome();
    stream.send(ConnectRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(0.7)
        .setFreeSlots(2).setMetadata(com.google.protobuf.Struct.newBuilder()
            .putFields("gpu_temp", com.google.protobuf.Value.newBuilder().setNumberValue(71).build()))).build());
    eventually("recorded", () -> server.controlPlane().database().dsl().select(NODES.CURRENT_LOAD).from(NODES)
        .where(NODES.ID.eq(node.id())).fetchSingle(NODES.CURRENT_LOAD) == 0.7);
    assertThat(server.controlPlane().database().dsl().select(NODES.METADATA).from(NODES)
        .where(NODES.ID.eq(node.id())).fetchSingle(NODES.METADATA).data()).contains("gpu_temp");
    stream.send(ConnectRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(7)).build());
    assertThat(stream.closeReason()).isEqualTo("INVALID_ARGUMENT");
  }

  @Test
  void presenceNamesTheReplicaHoldingTheStream() {
    TestNode node = TestNode.ready(server.channel(), "s7", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), 1).keepAlive(Duration.ofMillis(200), null);
    stream.welcome();
    NodeSessions sessions = JobsTesting.network(server).sessions();
    eventually("present", () -> sessions.presenceOf(node.id()) != null);
    stream.halfClose();
    stream.awaitClose();
    eventually("absent", () -> sessions.presenceOf(node.id()) == null);
  }

  @Test
  void aSubmissionsDispatchIsDeliveredOnceAndOnlyToItsNode() {
    TestNode a = TestNode.ready(server.channel(), "s8", List.of("fast-a"));
    TestNode b = TestNode.ready(server.channel(), "s9", List.of("fast-b"));
    TestNode.Stream onA = a.connect(server.channel(), 2).keepAlive(Duration.ofMillis(200), null);
    TestNode.Stream onB = b.connect(server.channel(), 2).keepAlive(Duration.ofMillis(200), null);
    onA.welcome();
    onB.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    String first = submit(user, "fast-a");
    JobDispatch dispatched = onA.dispatch();
    assertThat(dispatched.getJobId()).isEqualTo(first);
    UUID assignment = UUID.fromString(dispatched.getAssignmentId());

    NodeSessions sessions = JobsTesting.network(server).sessions();
    sessions.dispatched(a.id(), assignment); // announced again: A was told already
    assertThat(onA.poll(ConnectResponse::hasDispatch, Duration.ofMillis(500))).isNull();
    sessions.dispatched(b.id(), assignment); // announced to the wrong node: B's stream must not deliver it
    sessions.dispatched(a.id(), UUID.randomUUID()); // no such assignment
    sessions.jobsChanged(a.id()); // and a full sync

    assertThat(onA.poll(ConnectResponse::hasDispatch, Duration.ofMillis(500))).isNull();
    assertThat(onB.poll(ConnectResponse::hasDispatch, Duration.ofMillis(100))).isNull();
    String second = submit(user, "fast-a");
    assertThat(onA.dispatch().getJobId()).isEqualTo(second);
    assertThat(onA.isClosed()).isFalse();
    assertThat(onB.isClosed()).isFalse();
    onA.halfClose();
    onB.halfClose();
  }

  @Test
  void aCommittedDispatchDeliveredAfterItsJobWasCancelledIsWithdrawnWhenTheNodeAcceptsIt() {
    TestNode node = TestNode.ready(server.channel(), "s11", List.of("late-fast"));
    TestNode.Stream stream = node.connect(server.channel(), 2).keepAlive(Duration.ofMillis(200), null);
    stream.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    String jobId = submit(user, "late-fast");
    JobDispatch first = stream.dispatch();
    UUID assignmentId = UUID.fromString(first.getAssignmentId());
    var committed = JobsTesting.network(server).lifecycle().activeAssignment(node.id(), assignmentId).orElseThrow();
    JobsTesting.network(server).jobs().cancel(user, jobId);
    assertThat(stream.cancel().getCancel().getJobId()).isEqualTo(jobId);

    // a submission's in-memory dispatch that reaches the stream only now, after the cancel's withdrawal
    JobsTesting.network(server).sessions().dispatched(node.id(), committed);
    JobDispatch late = stream.dispatch();
    assertThat(late.getAssignmentId()).isEqualTo(first.getAssignmentId());
    stream.accept(late);

    assertThat(stream.cancel().getCancel().getAssignmentId()).isEqualTo(first.getAssignmentId());
    assertThat(jobStatus(jobId)).isEqualTo("CANCELLED");
    eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
    JobsTesting.assertSlotsMatchJobs(server);
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
  }

  @Test
  void aResultSentRightAfterItsAcceptIsWrittenAfterIt() {
    TestNode node = TestNode.ready(server.channel(), "s10", List.of("quick"));
    TestNode.Stream stream = node.connect(server.channel(), 8).keepAlive(Duration.ofMillis(200), null);
    stream.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000);
    List<String> jobs = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      jobs.add(submit(user, "quick"));
    }
    for (int i = 0; i < 8; i++) {
      JobDispatch dispatch = stream.dispatch();
      stream.accept(dispatch); // both written off the stream: the result must still follow its start
      stream.complete(dispatch);
    }

    for (String job : jobs) {
      eventually("completed " + job, () -> jobStatus(job).equals("COMPLETED"));
      assertThat(server.controlPlane().database().dsl().fetch(
              "SELECT type FROM job_events WHERE job_id = ? AND type LIKE 'task.%' ORDER BY seq", UUID.fromString(job))
          .getValues(0, String.class)).containsExactly("task.dispatched", "task.started", "task.completed");
    }
    assertThat(stream.poll(ConnectResponse::hasCancel, Duration.ofMillis(300))).isNull();
    assertThat(stream.isClosed()).isFalse();
    stream.halfClose();
  }

  private static String submit(UUID user, String jobType) {
    return Json.parse(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + jobType + "\"}", "Authorization",
        userBearer(server, user)).body()).get("job_id").asText();
  }

  /** A stream whose first frame is a heartbeat instead of hello. */
  private static TestNode.Stream startWithout(TestNode node) {
    return node.connectWithFirstFrame(server.channel(),
        ConnectRequest.newBuilder().setHeartbeat(NodeHeartbeat.getDefaultInstance()).build());
  }

  private static String jobStatus(String jobId) {
    return server.controlPlane().database().dsl().select(JOBS.STATUS).from(JOBS)
        .where(JOBS.ID.eq(UUID.fromString(jobId))).fetchSingle(JOBS.STATUS);
  }

  private static UUID nodeStreamSession(TestNode node) {
    return server.controlPlane().database().dsl().select(NODES.STREAM_SESSION).from(NODES)
        .where(NODES.ID.eq(node.id())).fetchSingle(NODES.STREAM_SESSION);
  }
}
