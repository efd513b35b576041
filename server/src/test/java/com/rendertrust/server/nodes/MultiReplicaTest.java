package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.testing.Downloads;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one PostgreSQL and Redis (and one result store): any replica accepts a
 * submission, the node gets it whichever replica holds its stream, and a replica going away
 * loses no job. Streams re-read their jobs only hourly here, so every delivery below travels
 * through Redis pub/sub.
 */
class MultiReplicaTest {

  private JobLedger ledger;
  private TestServer a;
  private TestServer b;

  @BeforeEach
  void start() throws Exception {
    JobsConfig d = JobsConfig.defaults();
    JobsConfig onlyWakeUps = new JobsConfig(d.prices(), d.maxRuntimes(), d.acceptTimeout(), d.maxRetries(),
        d.heartbeatInterval(), d.heartbeatTimeout(), d.offlineAfter(), d.reconnectGrace(), d.unhealthyAfterFailures(),
        d.unhealthyCooldown(), d.challengeTtl(), Duration.ofHours(1), Duration.ofHours(1));
    Path sharedStore = Files.createTempDirectory("rendertrust-shared-store");
    ServerConfig config = TestServer.testConfig()
        .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(TestInfrastructure.redisUrl())
        .withJobs(onlyWakeUps)
        .withStorage(StorageConfig.defaults().withLocalDirectory(sharedStore));
    a = JobsTesting.start(config, Clock.systemUTC());
    b = JobsTesting.start(config, Clock.systemUTC());
    ledger = JobLedger.of(a);
  }

  @AfterEach
  void stop() {
    ledger.checkInvariants();
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  @Test
  void aJobSubmittedOnOneReplicaReachesANodeOnTheOtherAndItsResultIsServedByEither() throws Exception {
    try (TestNode.Connection toB = TestNode.tcp(b.controlPlane().httpPort())) {
      TestNode node = TestNode.ready(toB.channel(), "replica-node", List.of("render"));
      TestNode.Stream stream = node.connect(toB.channel(), 2);
      stream.welcome();
      eventually("presence", () -> JobsTesting.network(a).sessions().presenceOf(node.id()) != null);
      UUID user = UUID.randomUUID();
      ledger.deposit(user, 1_000_000);

      JsonNode submitted = Json.parse(a.postJson("/api/v1/jobs/dispatch",
          "{\"job_type\":\"render\",\"payload_ref\":\"s3://x/y\"}", "Authorization", userBearer(a, user)).body());
      assertThat(submitted.get("status").asText()).isEqualTo("DISPATCHED");
      assertThat(submitted.get("node_id").asText()).isEqualTo(node.id().toString());
      JobDispatch dispatch = stream.dispatch();
      String jobId = submitted.get("job_id").asText();
      assertThat(dispatch.getJobId()).isEqualTo(jobId);

      stream.accept(dispatch);
      byte[] bytes = "frame 0001".getBytes();
      assertThat(stream.upload(dispatch, bytes)).isEqualTo(200);
      stream.complete(dispatch);
      eventually("completed on A's view", () -> jobStatus(a, user, jobId).equals("COMPLETED"));
      JsonNode link = Json.parse(a.get("/api/v1/jobs/" + jobId + "/result", "Authorization", userBearer(a, user)).body());
      HttpResponse<byte[]> download = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(link.get("download_url").asText())).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(download.body()).isEqualTo(bytes);

      // a cancel on A reaches the node on B
      String second = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}", "Authorization", userBearer(a, user))
          .body()).get("job_id").asText();
      JobDispatch secondDispatch = stream.dispatch();
      assertThat(secondDispatch.getJobId()).isEqualTo(second);
      assertThat(a.postJson("/api/v1/jobs/" + second + "/cancel", "", "Authorization", userBearer(a, user)).statusCode()).isEqualTo(200);
      ConnectResponse cancel = stream.cancel();
      assertThat(cancel.getCancel().getJobId()).isEqualTo(second);
      stream.halfClose();
    }
  }

  @Test
  void theTasksOfOneRenderJobRunOnNodesOfBothReplicasAndEitherServesItsZip() {
    try (TestNode.Connection toA = TestNode.tcp(a.controlPlane().httpPort());
         TestNode.Connection toB = TestNode.tcp(b.controlPlane().httpPort())) {
      TestNode.Stream onA = TestNode.ready(toA.channel(), "render-a", List.of("render")).connect(toA.channel(), 1);
      TestNode.Stream onB = TestNode.ready(toB.channel(), "render-b", List.of("render")).connect(toB.channel(), 1);
      onA.welcome();
      onB.welcome();
      eventually("presence", () -> JobsTesting.network(a).sessions().presenceOf(onB.node().id()) != null);
      UUID user = UUID.randomUUID();
      ledger.deposit(user, 1_000_000);

      String jobId = Json.parse(a.postJson("/api/v1/jobs/dispatch",
          "{\"job_type\":\"render\",\"payload\":{\"frame_start\":1,\"frame_end\":4,\"frames_per_task\":2}}",
          "Authorization", userBearer(a, user)).body()).get("job_id").asText();
      for (TestNode.Stream stream : List.of(onA, onB)) {
        JobDispatch task = stream.dispatch();
        assertThat(task.getJobId()).isEqualTo(jobId);
        stream.accept(task);
        stream.deliverAll(task, frame -> ("frame " + frame).getBytes());
        stream.complete(task);
      }
      eventually("completed on B's view", () -> jobStatus(b, user, jobId).equals("COMPLETED"));
      JsonNode link = Json.parse(b.get("/api/v1/jobs/" + jobId + "/result", "Authorization", userBearer(b, user)).body());
      var entries = Downloads.unzip(Downloads.bytes(link.get("download_url").asText()));
      assertThat(entries).hasSize(4);
      entries.forEach((name, bytes) ->
          assertThat(bytes).isEqualTo(("frame " + Integer.parseInt(name.substring(6, 10))).getBytes()));
      onA.halfClose();
      onB.halfClose();
    }
  }

  @Test
  void whenAReplicaGoesAwayItsNodeResumesOnTheOtherAndNoJobIsLost() {
    TestNode.Connection toB = TestNode.tcp(b.controlPlane().httpPort());
    TestNode node = TestNode.ready(toB.channel(), "roaming-node", List.of("render"));
    TestNode.Stream onB = node.connect(toB.channel(), 1);
    onB.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 1_000_000);
    String running = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}", "Authorization", userBearer(a, user))
        .body()).get("job_id").asText();
    String waiting = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}", "Authorization", userBearer(a, user))
        .body()).get("job_id").asText();
    JobDispatch dispatch = onB.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(running);
    onB.accept(dispatch);
    eventually("running", () -> jobStatus(a, user, running).equals("RUNNING"));

    b.close(); // replica B stops: its stream is drained and closed
    b = null;
    assertThat(onB.closeReason()).isEqualTo("DEPENDENCY_UNAVAILABLE");
    toB.close();

    try (TestNode.Connection toA = TestNode.tcp(a.controlPlane().httpPort())) {
      TestNode.Stream onA = node.connect(toA.channel(), Hello.newBuilder().setSlots(1)
          .addRunning(TestNode.Stream.running(dispatch)));
      onA.welcome();
      onA.complete(dispatch);
      eventually("completed", () -> jobStatus(a, user, running).equals("COMPLETED"));
      JobDispatch next = onA.dispatch();
      assertThat(next.getJobId()).as("the queued job follows on the surviving replica").isEqualTo(waiting);
      onA.accept(next);
      onA.complete(next);
      eventually("completed", () -> jobStatus(a, user, waiting).equals("COMPLETED"));
      assertThat(a.controlPlane().database().dsl().fetchCount(JOBS, JOBS.RETRY_COUNT.gt(0))).isZero();
      onA.halfClose();
    }
  }

  @Test
  void aNewStreamOnOneReplicaEndsTheNodesOldStreamOnTheOther() {
    try (TestNode.Connection toA = TestNode.tcp(a.controlPlane().httpPort());
         TestNode.Connection toB = TestNode.tcp(b.controlPlane().httpPort())) {
      TestNode node = TestNode.ready(toA.channel(), "twice", List.of("render"));
      TestNode.Stream old = node.connect(toA.channel(), 1);
      old.welcome();
      TestNode.Stream replacement = node.connect(toB.channel(), 1);
      replacement.welcome();
      assertThat(old.closeReason()).isEqualTo("STALE_ASSIGNMENT");
      UUID user = UUID.randomUUID();
      ledger.deposit(user, 1_000_000);
      String jobId = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}", "Authorization", userBearer(a, user))
          .body()).get("job_id").asText();
      assertThat(replacement.dispatch().getJobId()).isEqualTo(jobId);
      replacement.halfClose();
    }
  }

  private static String jobStatus(TestServer server, UUID user, String jobId) {
    return Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, user)).body()).get("status").asText();
  }
}
