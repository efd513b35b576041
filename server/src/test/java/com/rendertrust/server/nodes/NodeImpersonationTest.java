package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.testing.GrpcAssertions.assertFails;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.nodeBearer;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.api.v1.HeartbeatRequest;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, finding 1, on the real server: a node's public key is no secret, so registering it
 * again without the private key must yield no credential and change nothing on the node, and a
 * token names the key it was issued for.
 */
class NodeImpersonationTest {

  private static final Duration BEAT = Duration.ofMillis(200);
  private static TestServer server;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    server = JobsTesting.start(JobsTesting.config(JobsTesting.fastJobs()), Clock.systemUTC());
    ledger = JobLedger.of(server);
  }

  @AfterEach
  void ledgerHolds() {
    ledger.checkInvariants();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void reRegisteringAKnownKeyWithoutProofChangesNothingAndJobsStillReachTheRealNode() {
    TestNode real = TestNode.ready(server.channel(), "real-a", List.of("imp-a"));
    TestNode.Stream stream = real.connect(server.channel(), 1).keepAlive(BEAT, null);
    stream.welcome();
    NodesRecord before = nodeRow(real.id());
    assertThat(before.getStatus()).isEqualTo("HEALTHY");

    ObjectNode claim = NodeRegistrationTest.registration("evil", real.publicKeyPem(), List.of("evil-a"));
    HttpResponse<String> answer = server.postJson("/api/v1/nodes/register", claim.toString());
    assertThat(answer.statusCode()).isEqualTo(201);
    JsonNode body = Json.parse(answer.body());
    assertThat(body.get("node_id").asText()).isEqualTo(real.id().toString());
    assertThat(body.get("status").asText()).isEqualTo("REGISTERED");

    assertUnchanged(real.id(), before);
    // dispatch is not refused for "no healthy node": the real node still takes the job
    runJob(stream, "imp-a", real.id());
    assertUnchanged(real.id(), before);
    stream.halfClose();
  }

  @Test
  void heartbeatsWithTheTokenOfAnUnprovenReRegistrationAreRefused() {
    TestNode real = TestNode.ready(server.channel(), "real-b", List.of("imp-b"));
    TestNode.Stream stream = real.connect(server.channel(), 1).keepAlive(BEAT, null);
    stream.welcome();
    TestNode impostor = TestNode.claimingKeyOf(real);
    impostor.register(server.channel(), "evil", List.of("evil-b"));
    // the real agent renews its token meanwhile (register + prove): the impostor's token stays useless
    real.register(server.channel(), "real-b", List.of("imp-b"));
    real.prove(server.channel());
    NodesRecord before = nodeRow(real.id());

    HttpResponse<String> rest = server.postJson("/api/v1/nodes/heartbeat",
        "{\"current_load\":0.99,\"metadata\":{\"owned\":true}}", "Authorization", nodeBearer(impostor.token()));
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(401);
    assertThat(Json.parse(rest.body()).get("detail").asText()).isNotBlank();
    assertFails(() -> impostor.blocking(server.channel()).heartbeat(HeartbeatRequest.newBuilder().setCurrentLoad(0.99).build()),
        Status.Code.UNAUTHENTICATED, "TOKEN_INVALID");

    NodesRecord after = nodeRow(real.id());
    assertUnchanged(real.id(), before);
    assertThat(after.getCurrentLoad()).isNotEqualTo(0.99);
    assertThat(after.getMetadata().data()).doesNotContain("owned");
    // the real node's own renewed token works
    assertThat(real.blocking(server.channel()).heartbeat(HeartbeatRequest.newBuilder().setCurrentLoad(0.2).build())
        .getStatus()).isEqualTo("HEALTHY");
    stream.halfClose();
  }

  @Test
  void aStreamWithThatTokenAndAnotherPrivateKeyIsRefusedAndTheRealStreamKeepsItsJobs() {
    TestNode real = TestNode.ready(server.channel(), "real-c", List.of("imp-c"));
    TestNode.Stream stream = real.connect(server.channel(), 2).keepAlive(BEAT, null);
    stream.welcome();
    UUID realSession = streamSession(real.id());
    TestNode impostor = TestNode.claimingKeyOf(real);
    impostor.register(server.channel(), "evil", List.of("imp-c"));
    // the real agent proves its key again (as its renewal does) before the impostor connects
    real.register(server.channel(), "real-c", List.of("imp-c"));
    real.prove(server.channel());

    TestNode.Stream unsigned = impostor.connect(server.channel(), Hello.newBuilder().setSlots(4).addCapabilities("evil-c"));
    assertThat(unsigned.closeReason()).isEqualTo("NODE_NOT_VERIFIED");
    TestNode.Stream signed = impostor.connect(server.channel(), Hello.newBuilder().setSlots(4).addCapabilities("evil-c")
        .setSignature(impostor.sign(impostor.challenge())));
    assertThat(signed.closeReason()).isEqualTo("CHALLENGE_FAILED");
    assertThat(signed.awaitClose().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    assertThat(stream.isClosed()).as("the real agent's stream was not replaced").isFalse();
    assertThat(streamSession(real.id())).isEqualTo(realSession);
    NodesRecord row = nodeRow(real.id());
    assertThat(row.getSlots()).isEqualTo(2);
    assertThat(row.getCapabilities()).containsExactly("imp-c");
    for (int i = 0; i < 3; i++) {
      runJob(stream, "imp-c", real.id());
    }
    stream.halfClose();
  }

  @Test
  void aTokenIssuedForOneKeyIsRefusedOnceTheNodeProvesAnother() {
    TestNode keyA = TestNode.ready(server.channel(), "rotating", List.of("imp-d"));
    String tokenA = keyA.token();
    TestNode.Stream streamA = keyA.connect(server.channel(), 1).keepAlive(BEAT, null);
    streamA.welcome();

    // the node registers key B for itself, authorised by its proven token of key A
    TestNode keyB = TestNode.withNewKey();
    RegisterNodeResponse moved = keyB.register(server.channel(), "rotating", List.of("imp-d"), nodeBearer(tokenA));
    assertThat(moved.getNodeId()).isEqualTo(keyA.id().toString());
    // before B's proof nothing changed: A's token works, B's does not yet
    assertThat(heartbeat(tokenA)).isEqualTo(200);
    assertThat(heartbeat(keyB.token())).isEqualTo(401);
    assertThat(nodeRow(keyA.id()).getPublicKeyRaw()).isEqualTo(NodeKeys.rawKeyHex(keyA.publicKeyPem()));

    keyB.prove(server.channel());
    assertThat(nodeRow(keyA.id()).getPublicKeyRaw()).isEqualTo(NodeKeys.rawKeyHex(keyB.publicKeyPem()));
    assertThat(heartbeat(tokenA)).isEqualTo(401);
    assertFails(() -> keyA.blocking(server.channel()).heartbeat(HeartbeatRequest.getDefaultInstance()),
        Status.Code.UNAUTHENTICATED, "TOKEN_INVALID");
    TestNode.Stream refused = keyA.connect(server.channel(), 1);
    assertThat(refused.closeReason()).isEqualTo("TOKEN_INVALID");
    assertThat(refused.awaitClose().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(streamA.closeReason()).as("the stream opened with key A's token ends").isEqualTo("STALE_ASSIGNMENT");
    // key A's token can no longer register anything for the node either
    assertFails(() -> TestNode.withNewKey().register(server.channel(), "x", List.of("imp-d"), nodeBearer(tokenA)),
        Status.Code.UNAUTHENTICATED, "TOKEN_INVALID");

    assertThat(heartbeat(keyB.token())).isEqualTo(200);
    TestNode.Stream streamB = keyB.connect(server.channel(), 1).keepAlive(BEAT, null);
    streamB.welcome();
    runJob(streamB, "imp-d", keyA.id());
    streamB.halfClose();
  }

  @Test
  void onlyAProvenTokenMayRegisterAKeyForItsNodeAndNeverAnotherNodesKey() {
    TestNode node = TestNode.ready(server.channel(), "owner-e", List.of("imp-e"));
    TestNode other = TestNode.ready(server.channel(), "other-e", List.of("imp-e"));
    String proven = node.token();
    assertFails(() -> TestNode.claimingKeyOf(other).register(server.channel(), "e", List.of("imp-e"), nodeBearer(proven)),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    node.register(server.channel(), "owner-e", List.of("imp-e")); // a fresh, unproven token of the node
    assertFails(() -> TestNode.withNewKey().register(server.channel(), "e", List.of("imp-e"), nodeBearer(node.token())),
        Status.Code.UNAUTHENTICATED, "TOKEN_INVALID");
    assertThat(nodeRow(other.id()).getPublicKeyRaw()).isEqualTo(NodeKeys.rawKeyHex(other.publicKeyPem()));
    assertThat(nodeRow(node.id()).getPublicKeyRaw()).isEqualTo(NodeKeys.rawKeyHex(node.publicKeyPem()));
  }

  private static int heartbeat(String token) {
    return server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":0.1}", "Authorization", nodeBearer(token))
        .statusCode();
  }

  /** Submits a job of {@code type}, which must be dispatched to {@code stream} of {@code nodeId}, and runs it there. */
  private static void runJob(TestNode.Stream stream, String type, UUID nodeId) {
    UUID creator = UUID.randomUUID();
    ledger.deposit(creator, 100_000);
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + type + "\"}",
        "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    assertThat(Json.parse(submitted.body()).get("node_id").asText()).isEqualTo(nodeId.toString());
    JobDispatch dispatch = stream.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(Json.parse(submitted.body()).get("job_id").asText());
    stream.accept(dispatch);
    stream.complete(dispatch);
    eventually("completed", () -> jobStatus(dispatch.getJobId()).equals("COMPLETED"));
  }

  private static void assertUnchanged(UUID nodeId, NodesRecord before) {
    NodesRecord now = nodeRow(nodeId);
    assertThat(now.getStatus()).isEqualTo(before.getStatus());
    assertThat(now.getVerified()).isTrue();
    assertThat(now.getName()).isEqualTo(before.getName());
    assertThat(now.getCapabilities()).containsExactly(before.getCapabilities());
    assertThat(now.getMetadata()).isEqualTo(before.getMetadata());
    assertThat(now.getOperatorUserId()).isEqualTo(before.getOperatorUserId());
    assertThat(now.getStreamSession()).isEqualTo(before.getStreamSession());
  }

  private static NodesRecord nodeRow(UUID id) {
    return server.controlPlane().database().dsl().selectFrom(NODES).where(NODES.ID.eq(id)).fetchSingle();
  }

  private static UUID streamSession(UUID nodeId) {
    return nodeRow(nodeId).getStreamSession();
  }

  private static String jobStatus(String jobId) {
    return server.controlPlane().database().dsl().select(JOBS.STATUS).from(JOBS)
        .where(JOBS.ID.eq(UUID.fromString(jobId))).fetchSingle(JOBS.STATUS);
  }
}
