package com.rendertrust.server.jobs;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole lifecycle of a job: a job submitted over REST reaches a node over Connect, runs,
 * completes; the creator downloads the result bytes; the price moves from the creator to the
 * operator and the platform exactly once.
 */
class JobLifecycleEndToEndTest {

  private static JobLedger ledger;
  private static TestServer server;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @Test
  void aJobGoesFromRestSubmissionThroughANodeToADownloadedResultAndIsChargedOnce() throws Exception {
    UUID creator = UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    ledger.deposit(creator, 1_000_000); // 100 credits
    long revenueBefore = ledger.platformRevenue();
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "gpu-east-1", List.of("render", "echo"), userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 2);
    assertThat(stream.welcome().getWelcome().getNodeId()).isEqualTo(node.id().toString());

    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"render\",\"payload_ref\":\"s3://scenes/castle.blend\",\"priority\":\"high\","
            + "\"payload\":{\"frames\":[1,2]}}", "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).isEqualTo(200);
    JsonNode answer = Json.parse(submitted.body());
    assertThat(answer.get("status").asText()).isEqualTo("DISPATCHED");
    assertThat(answer.get("node_id").asText()).isEqualTo(node.id().toString());
    String jobId = answer.get("job_id").asText();
    assertThat(ledger.available(creator)).isEqualTo(900_000);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000);

    JobDispatch dispatch = stream.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(jobId);
    assertThat(dispatch.getJobType()).isEqualTo("render");
    assertThat(dispatch.getPayloadRef()).isEqualTo("s3://scenes/castle.blend");
    assertThat(dispatch.getPayload().getFieldsMap()).containsKey("frames");
    assertThat(dispatch.getMaxRuntimeSeconds()).isEqualTo(3600);
    assertThat(Instant.parse(dispatch.getDeadline())).isAfter(Instant.now().plusSeconds(3000));
    assertThat(dispatch.getUploadUrl()).contains("/blobs/results/" + jobId + "/" + dispatch.getAssignmentId());

    stream.accept(dispatch);
    eventually("RUNNING", () -> status(jobId, creator).equals("RUNNING"));
    byte[] resultBytes = new byte[300_000];
    new Random(42).nextBytes(resultBytes);
    assertThat(stream.upload(dispatch, resultBytes)).isEqualTo(200);
    stream.progress(dispatch, 100);
    stream.complete(dispatch);
    eventually("COMPLETED", () -> status(jobId, creator).equals("COMPLETED"));

    HttpResponse<String> result = server.get("/api/v1/jobs/" + jobId + "/result", "Authorization", userBearer(server, creator));
    assertThat(result.statusCode()).isEqualTo(200);
    JsonNode link = Json.parse(result.body());
    assertThat(link.get("job_id").asText()).isEqualTo(jobId);
    assertThat(link.get("expires_in").asInt()).isEqualTo(3600);
    HttpResponse<byte[]> download = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(link.get("download_url").asText())).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.body()).isEqualTo(resultBytes);

    eventually("charged", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
    assertThat(ledger.balance(creator)).isEqualTo(900_000);
    assertThat(ledger.available(creator)).isEqualTo(900_000);
    assertThat(ledger.earnings(operator)).isEqualTo(70_000);
    assertThat(ledger.platformRevenue() - revenueBefore).isEqualTo(30_000);
    ledger.checkInvariants();

    JsonNode job = Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, creator)).body());
    assertThat(job.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(job.get("result_ref").asText()).isEqualTo("results/" + jobId + "/" + dispatch.getAssignmentId());
    assertThat(job.get("priority").asText()).isEqualTo("high");
    assertThat(job.get("error_message").isNull()).isTrue();
    assertThat(job.get("retry_count").asInt()).isZero();
    assertThat(job.get("completed_at").asText()).endsWith("Z");
  }

  @Test
  void everyJobFieldIsPresentWithNullWhereUnset() {
    UUID creator = UUID.randomUUID();
    TestNode node = TestNode.ready(server.channel(), "echo-1", List.of("echo"));
    TestNode.Stream stream = node.connect(server.channel(), 1);
    stream.welcome();
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}",
        "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).isEqualTo(200);
    String jobId = Json.parse(submitted.body()).get("job_id").asText();

    JsonNode job = Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, creator)).body());
    assertThat(job.size()).isEqualTo(26);
    for (String field : List.of("id", "node_id", "job_type", "payload_ref", "status", "result_ref", "error_message",
        "retry_count", "queued_at", "dispatched_at", "completed_at", "created_at", "updated_at", "priority",
        "frames_total", "frames_done", "tasks_total", "tasks_done", "progress", "error_code", "input_id", "tier", "price",
        "charged", "node_progress", "frames_rendered")) {
      assertThat(job.has(field)).as(field).isTrue();
    }
    assertThat(job.get("payload_ref").isNull()).isTrue();
    assertThat(job.get("result_ref").isNull()).isTrue();
    assertThat(job.get("charged").isNull()).as("not settled yet").isTrue();
    assertThat(job.get("tier").asText()).isEqualTo("standard");
    assertThat(job.get("price").asText()).isEqualTo("0.0000");
    assertThat(job.get("completed_at").isNull()).isTrue();
    assertThat(job.get("dispatched_at").isTextual()).isTrue();

    JsonNode listed = Json.parse(server.get("/api/v1/jobs", "Authorization", userBearer(server, creator)).body()).get("jobs").get(0);
    assertThat(listed.get("result_ref").isNull()).isTrue();
    assertThat(listed.size()).isEqualTo(26);
    assertThat(job.get("error_code").isNull()).isTrue();
    assertThat(job.get("input_id").isNull()).isTrue();
    assertThat(job.get("tasks_total").asInt()).isEqualTo(1);
    assertThat(job.get("frames_total").asInt()).isZero();
  }

  private static String status(String jobId, UUID creator) {
    return Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, creator)).body()).get("status").asText();
  }
}
