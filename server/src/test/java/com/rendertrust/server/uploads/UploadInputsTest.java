package com.rendertrust.server.uploads;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUploads;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Uploads as job inputs: submission rules for input_id, the dispatch's input URL, deletion while in use. */
class UploadInputsTest {

  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;
  private static TestUploads uploads;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    uploads = new TestUploads(server);
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void moneyIsConserved() {
    ledger.checkInvariants();
  }

  @Test
  void aJobWithAnInputReachesItsNodeWithAWorkingUrlAndTheHash() {
    String type = newType();
    TestNode.Stream node = readyNode(type);
    UUID user = funded();
    byte[] scene = TestUploads.randomBytes(40_000, 21);
    String inputId = uploads.ready(user, "scene.blend", scene);

    HttpResponse<String> submitted = dispatch(user, "{\"job_type\":\"" + type + "\",\"input_id\":\"" + inputId + "\"}");
    assertThat(submitted.statusCode()).isEqualTo(200);
    String jobId = Json.parse(submitted.body()).get("job_id").asText();
    assertThat(server.controlPlane().database().dsl().select(JOBS.INPUT_ID).from(JOBS)
        .where(JOBS.ID.eq(UUID.fromString(jobId))).fetchOne(JOBS.INPUT_ID)).isEqualTo(UUID.fromString(inputId));
    assertThat(Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", JobsTesting.userBearer(server, user))
        .body()).get("input_id").asText()).as("the Job shows its input").isEqualTo(inputId);

    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(jobId);
    assertThat(dispatch.getInputSha256()).isEqualTo(TestUploads.sha256(scene));
    assertThat(URI.create(dispatch.getInputUrl()).getPath()).endsWith(".blend");
    HttpResponse<byte[]> input = TestUploads.download(dispatch.getInputUrl());
    assertThat(input.statusCode()).isEqualTo(200);
    assertThat(TestUploads.sha256(input.body())).isEqualTo(dispatch.getInputSha256());
    assertThat(input.body()).isEqualTo(scene);

    // while the job is unfinished its input cannot be deleted
    HttpResponse<String> refused = uploads.delete(user, inputId);
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(Json.parse(refused.body()).get("reason").asText()).isEqualTo("UPLOAD_IN_USE");
    node.accept(dispatch);
    assertThat(uploads.delete(user, inputId).statusCode()).isEqualTo(409);
    assertThat(node.upload(dispatch, "frame".getBytes())).isEqualTo(200);
    node.complete(dispatch);
    eventually("the job completes", () -> "COMPLETED".equals(jobStatus(user, jobId)));
    HttpResponse<String> deleted = uploads.delete(user, inputId);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(Json.parse(deleted.body()).get("upload").get("status").asText()).isEqualTo("DELETED");
    assertThat(TestUploads.download(dispatch.getInputUrl()).statusCode()).isEqualTo(404);
  }

  @Test
  void anInputThatIsNotTheCallersReadyUploadIs404AndWritesNothing() {
    String type = newType();
    readyNode(type);
    UUID user = funded();
    UUID stranger = funded();
    JsonNode pending = uploads.declare(user, "pending.bin", TestUploads.randomBytes(10, 22));
    String foreign = uploads.ready(stranger, "theirs.bin", TestUploads.randomBytes(10, 23));
    String deleted = uploads.ready(user, "deleted.bin", TestUploads.randomBytes(10, 24));
    assertThat(uploads.delete(user, deleted).statusCode()).isEqualTo(200);
    int jobs = jobCount();
    int holds = ledger.holdCount();
    for (String inputId : List.of(pending.get("upload").get("id").asText(), foreign, deleted,
        UUID.randomUUID().toString(), "not-an-id")) {
      HttpResponse<String> response = dispatch(user, "{\"job_type\":\"" + type + "\",\"input_id\":\"" + inputId + "\"}");
      assertThat(response.statusCode()).as("input %s", inputId).isEqualTo(404);
    }
    assertThat(jobCount()).isEqualTo(jobs);
    assertThat(ledger.holdCount()).isEqualTo(holds);
  }

  @Test
  void inputIdTogetherWithPayloadRefIs422() {
    String type = newType();
    readyNode(type);
    UUID user = funded();
    String inputId = uploads.ready(user, "a.bin", TestUploads.randomBytes(10, 25));
    int jobs = jobCount();
    HttpResponse<String> response = dispatch(user, "{\"job_type\":\"" + type + "\",\"input_id\":\"" + inputId
        + "\",\"payload_ref\":\"https://example.com/scene.blend\"}");
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(Json.parse(response.body()).get("detail").asText()).contains("input_id");
    assertThat(jobCount()).isEqualTo(jobs);
  }

  @Test
  void otherPayloadRefsStayOpaqueOnTheEmbeddedStore() {
    String type = newType();
    TestNode.Stream node = readyNode(type);
    UUID user = funded();
    assertThat(dispatch(user, "{\"job_type\":\"" + type + "\",\"payload_ref\":\"s3://your-bucket/scene.blend\"}")
        .statusCode()).isEqualTo(200);
    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getPayloadRef()).isEqualTo("s3://your-bucket/scene.blend");
    assertThat(dispatch.getInputUrl()).isEmpty();
    assertThat(dispatch.getInputSha256()).isEmpty();
  }

  private static String newType() {
    return "input-type-" + types.incrementAndGet();
  }

  private static UUID funded() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 1_000_000);
    return user;
  }

  private static TestNode.Stream readyNode(String type) {
    TestNode node = TestNode.ready(server.channel(), "node-" + type, List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), 2);
    stream.welcome();
    return stream;
  }

  private static HttpResponse<String> dispatch(UUID user, String body) {
    return server.postJson("/api/v1/jobs/dispatch", body, "Authorization", JobsTesting.userBearer(server, user));
  }

  private static String jobStatus(UUID user, String jobId) {
    return Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", JobsTesting.userBearer(server, user)).body())
        .get("status").asText();
  }

  private static int jobCount() {
    return server.controlPlane().database().dsl().fetchCount(JOBS);
  }
}
