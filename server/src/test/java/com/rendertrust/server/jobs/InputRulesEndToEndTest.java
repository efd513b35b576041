package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.jooq.JSONB;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The input rules every edge shares (issue 21, findings 3 and 9): no U+0000 reaches a text or
 * JSONB column whichever way it is sent (native gRPC included), JSON values nest at most 32
 * levels, and a job whose dispatch cannot be built fails alone instead of blocking its node.
 */
class InputRulesEndToEndTest {

  private static TestServer server;
  private static JobLedger ledger;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConserved() {
    ledger.checkInvariants();
  }

  @Test
  void u0000InAGrpcPayloadOrNodeMetadataIs422NamingTheFieldAndWritesNothing() {
    UUID user = funded();
    int jobs = server.controlPlane().database().dsl().fetchCount(JOBS);
    JobServiceGrpc.JobServiceBlockingStub stub = JobServiceGrpc.newBlockingStub(server.channel())
        .withInterceptors(TestTokens.as(server, user));
    Struct valueWithNul = Struct.newBuilder().putFields("scene", string("a\u0000b")).build();
    ErrorInfo value = assertFails(() -> stub.dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo")
        .setPayload(valueWithNul).build()), Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(value.getMetadataMap()).containsEntry("field", "payload.scene");
    Struct keyWithNul = Struct.newBuilder().putFields("k\u0000", string("v")).build();
    ErrorInfo key = assertFails(() -> stub.dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo")
        .setPayload(keyWithNul).build()), Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(key.getMetadataMap()).containsEntry("field", "payload");
    assertFails(() -> stub.dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo\u0000").build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(server.controlPlane().database().dsl().fetchCount(JOBS)).isEqualTo(jobs);

    TestNode node = TestNode.withNewKey();
    ErrorInfo metadata = assertFails(() -> NodeServiceGrpc.newBlockingStub(server.channel())
        .registerNode(RegisterNodeRequest.newBuilder().setName("nul-node").setPublicKey(node.publicKeyPem())
            .addCapabilities("echo").setMetadata(Struct.newBuilder().putFields("gpu", string("\u0000"))).build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(metadata.getMetadataMap()).containsEntry("field", "metadata.gpu");
  }

  @Test
  void jsonNestedThirtyTwoLevelsIsAcceptedAndThirtyThreeIs422OnEveryEdge() {
    String type = "depth-" + UUID.randomUUID().toString().substring(0, 8);
    readyNode(type, 4);
    UUID user = funded();
    // the payload object is level 1: 31 nested arrays inside it make 32 levels
    HttpResponse<String> accepted = dispatch(user, "{\"job_type\":\"" + type + "\",\"payload\":{\"a\":"
        + "[".repeat(31) + "]".repeat(31) + "}}");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
    HttpResponse<String> refused = dispatch(user, "{\"job_type\":\"" + type + "\",\"payload\":{\"a\":"
        + "[".repeat(32) + "]".repeat(32) + "}}");
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(Json.parse(refused.body()).get("field").asText()).startsWith("payload.a");

    Value deep = Value.newBuilder().setListValue(ListValue.getDefaultInstance()).build();
    for (int i = 1; i < 32; i++) {
      deep = Value.newBuilder().setListValue(ListValue.newBuilder().addValues(deep)).build();
    }
    Struct tooDeep = Struct.newBuilder().putFields("a", deep).build();
    assertFails(() -> JobServiceGrpc.newBlockingStub(server.channel()).withInterceptors(TestTokens.as(server, user))
        .dispatchJob(DispatchJobRequest.newBuilder().setJobType(type).setPayload(tooDeep).build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
  }

  @Test
  void aJobWhoseDispatchCannotBeBuiltFailsWithItsHoldReleasedAndTheNodeTakesTheNextJob() {
    String type = "undeliverable-" + UUID.randomUUID().toString().substring(0, 8);
    TestNode.Stream node = readyNode(type, 1);
    UUID user = funded();
    String first = jobId(dispatch(user, "{\"job_type\":\"" + type + "\"}"));
    JobDispatch running = node.dispatch();
    node.accept(running);
    HttpResponse<String> queued = dispatch(user, "{\"job_type\":\"" + type + "\",\"payload\":{\"ok\":1}}");
    assertThat(Json.parse(queued.body()).get("status").asText()).isEqualTo("QUEUED");
    UUID broken = UUID.fromString(jobId(queued));
    // a payload stored before the depth limit existed: protobuf's JSON parser refuses 150 levels
    server.controlPlane().database().dsl().update(JOBS)
        .set(JOBS.PAYLOAD, JSONB.jsonb("{\"a\":" + "[".repeat(150) + "]".repeat(150) + "}"))
        .where(JOBS.ID.eq(broken)).execute();

    node.complete(running);

    eventually("the broken job failed", () -> "FAILED".equals(status(user, broken.toString())));
    JsonNode failed = job(user, broken.toString());
    assertThat(failed.get("error_message").asText()).contains("could not be delivered");
    eventually("its hold released", () -> ledger.holdStatus(broken) == HoldStatus.RELEASED);
    String next = jobId(dispatch(user, "{\"job_type\":\"" + type + "\"}"));
    assertThat(node.dispatch().getJobId()).as("the node's slot is free for the next job").isEqualTo(next);
    assertThat(first).isNotEqualTo(next);
  }

  private static Value string(String text) {
    return Value.newBuilder().setStringValue(text).build();
  }

  private static UUID funded() {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 1_000_000);
    return user;
  }

  private static TestNode.Stream readyNode(String type, int slots) {
    return JobsTesting.readyNode(server, type, slots);
  }

  private static HttpResponse<String> dispatch(UUID user, String body) {
    return server.postJson("/api/v1/jobs/dispatch", body, "Authorization", userBearer(server, user));
  }

  private static String jobId(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body()).get("job_id").asText();
  }

  private static JsonNode job(UUID user, String jobId) {
    return Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, user)).body());
  }

  private static String status(UUID user, String jobId) {
    return job(user, jobId).get("status").asText();
  }
}
