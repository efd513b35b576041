package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The Connect stream over real TCP through the HTTP edge: it outlives the edge's request timeout
 * and its total size exceeds the request-size limit (each message stays capped), and a shutting
 * down server drains it gracefully.
 */
class LongLivedStreamTest {

  @Test
  void aStreamOutlivesTheRequestTimeoutAndTheRequestSizeLimit() throws Exception {
    ServerConfig base = JobsTesting.config(ConnectStreamTest.shortHeartbeats());
    ServerConfig strict = base.toBuilder().httpPort(0).maxRequestBytes(4096).requestTimeout(Duration.ofSeconds(1)).build();
    try (TestServer server = JobsTesting.start(strict, Clock.systemUTC());
         TestNode.Connection tcp = TestNode.tcp(server.controlPlane().httpPort())) {
      TestNode node = TestNode.ready(tcp.channel(), "tcp-1", List.of("echo"));
      Struct oneKilobyte = Struct.newBuilder()
          .putFields("padding", Value.newBuilder().setStringValue("x".repeat(1000)).build()).build();
      TestNode.Stream stream = node.connect(tcp.channel(), 1).keepAlive(Duration.ofMillis(100), oneKilobyte);
      stream.welcome();
      Thread.sleep(2_500); // 2.5 request timeouts, ~25 KB sent on a 4 KB request limit: the point of this test
      assertThat(stream.isClosed()).isFalse();

      UUID user = UUID.randomUUID();
      String jobId = Json.parse(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}", "Authorization", userBearer(server, user))
          .body()).get("job_id").asText();
      JobDispatch dispatch = stream.dispatch();
      assertThat(dispatch.getJobId()).isEqualTo(jobId);
      assertThat(stream.upload(dispatch, "hello".getBytes())).isEqualTo(200);
      stream.accept(dispatch);
      stream.complete(dispatch);
      eventually("completed", () -> server.controlPlane().database().dsl().select(JOBS.STATUS).from(JOBS)
          .where(JOBS.ID.eq(UUID.fromString(jobId))).fetchSingle(JOBS.STATUS).equals("COMPLETED"));

      // the edge's limits still hold for ordinary calls
      assertThat(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + "e".repeat(5000) + "\"}",
          "Authorization", userBearer(server, user)).statusCode()).isEqualTo(413);
      stream.halfClose();
      assertThat(stream.awaitClose().isOk()).isTrue();
    }
  }

  @Test
  void aShuttingDownServerDrainsItsNodesAndLetsThemFinish() throws Exception {
    ServerConfig config = JobsTesting.config(JobsTesting.fastJobs());
    TestServer server = JobsTesting.start(config, Clock.systemUTC());
    JobLedger ledger = JobLedger.of(server);
    TestNode.Connection tcp = TestNode.tcp(server.controlPlane().httpPort());
    try {
      TestNode node = TestNode.ready(tcp.channel(), "drain-1", List.of("drainable"));
      TestNode.Stream stream = node.connect(tcp.channel(), 1);
      stream.welcome();
      TestNode latecomer = TestNode.ready(tcp.channel(), "drain-2", List.of("drainable"));
      UUID user = UUID.randomUUID();
      ledger.deposit(user, 100_000);
      String jobId = Json.parse(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"drainable\"}",
          "Authorization", userBearer(server, user)).body()).get("job_id").asText();
      JobDispatch dispatch = stream.dispatch();
      stream.accept(dispatch);

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::close);
      ConnectResponse drain = stream.next(ConnectResponse::hasDrain);
      assertThat(drain.getDrain().getReason()).contains("shutting down");
      assertThat(drain.getDrain().getGraceSeconds()).isEqualTo((int) config.shutdownGrace().toSeconds());
      // a node (re)connecting now is sent elsewhere instead of being taken and drained at once
      assertThat(latecomer.connect(tcp.channel(), 1).closeReason()).isEqualTo("DEPENDENCY_UNAVAILABLE");
      stream.complete(dispatch);
      assertThat(stream.closeReason()).isEqualTo("DEPENDENCY_UNAVAILABLE");
      stopping.get();
      assertThat(statusInDatabase(config, jobId)).isEqualTo("COMPLETED");
      try (Connection connection = DriverManager.getConnection(config.databaseUrl().orElseThrow())) {
        JobLedger afterStop = new JobLedger(DSL.using(connection, SQLDialect.POSTGRES));
        assertThat(afterStop.holdStatus(UUID.fromString(jobId))).isEqualTo(HoldStatus.CAPTURED);
        afterStop.checkInvariants();
      }
    } finally {
      tcp.close();
      server.close();
    }
  }

  private static String statusInDatabase(ServerConfig config, String jobId) throws Exception {
    try (Connection connection = DriverManager.getConnection(config.databaseUrl().orElseThrow());
         var statement = connection.prepareStatement("SELECT status FROM jobs WHERE id = ?")) {
      statement.setObject(1, UUID.fromString(jobId));
      try (ResultSet result = statement.executeQuery()) {
        result.next();
        return result.getString(1);
      }
    }
  }
}
