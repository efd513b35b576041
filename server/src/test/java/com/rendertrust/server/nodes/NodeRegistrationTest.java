package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.db.Tables.NODE_REGISTRATIONS;
import static com.rendertrust.server.testing.GrpcAssertions.assertFails;
import static com.rendertrust.server.testing.JobsTesting.nodeBearer;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.api.v1.HeartbeatRequest;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.ProveNodeResponse;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.server.db.tables.records.NodeRegistrationsRecord;
import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.auth.VerifiedToken;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Registration by Ed25519 key, proof of possession, re-registration, heartbeats; bad inputs. */
class NodeRegistrationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MutableClock clock = new MutableClock();
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = JobsTesting.start(JobsTesting.config(JobsTesting.fastJobs()), clock);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void registrationAnswers201WithANodeIdAChallengeAndANodeToken() {
    TestNode node = TestNode.withNewKey();
    HttpResponse<String> response = server.postJson("/api/v1/nodes/register", registration("gpu-node-east-1",
        node.publicKeyPem(), List.of("render", "inference")).toString());
    assertThat(response.statusCode()).isEqualTo(201);
    JsonNode body = Json.parse(response.body());
    String nodeId = body.get("node_id").asText();
    assertThat(UUID.fromString(nodeId)).isNotNull();
    assertThat(body.get("challenge").asText()).matches("[0-9a-f]{64}");
    VerifiedToken token = server.controlPlane().identity().tokens().verifyNodeToken(body.get("token").asText());
    assertThat(token.subject()).isEqualTo(UUID.fromString(nodeId));
    assertThat(token.node().orElseThrow().keyThumbprint()).as("the token names the key it was issued for")
        .isEqualTo(NodeKeys.thumbprint(NodeKeys.rawKeyHex(node.publicKeyPem())));
    assertThat(body.get("status").asText()).isEqualTo("REGISTERED");
    NodesRecord row = nodeRow(UUID.fromString(nodeId));
    assertThat(row.getVerified()).isFalse();
    assertThat(row.getCapabilities()).containsExactly("render", "inference");
    assertThat(row.getMetadata().data()).contains("RTX 4090");
    assertThat(row.getHasGpu()).isTrue();
  }

  static Stream<ObjectNode> badRegistrations() throws Exception {
    String goodKey = TestNode.withNewKey().publicKeyPem();
    String rsaKey = TestNode.pem(KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic().getEncoded());
    byte[] identityPoint = HexFormat.of().parseHex("302a300506032b6570032100"
        + "0100000000000000000000000000000000000000000000000000000000000000");
    ObjectNode hugeMetadata = registration("n", goodKey, List.of("render"));
    hugeMetadata.putObject("metadata").put("blob", "x".repeat(20_000));
    return Stream.of(
        registration("", goodKey, List.of("render")),
        registration("   ", goodKey, List.of("render")),
        registration("n".repeat(256), goodKey, List.of("render")),
        registration("n", "not a key", List.of("render")),
        registration("n", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", List.of("render")),
        registration("n", rsaKey, List.of("render")),
        registration("n", TestNode.pem(identityPoint), List.of("render")),
        registration("n", goodKey, List.of()),
        registration("n", goodKey, List.of("has space")),
        registration("n", goodKey, java.util.Collections.nCopies(51, "x")),
        hugeMetadata);
  }

  @ParameterizedTest
  @MethodSource("badRegistrations")
  void badRegistrationsAre422AndWriteNothing(ObjectNode body) {
    int before = nodeCount();
    HttpResponse<String> response = server.postJson("/api/v1/nodes/register", body.toString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    assertThat(Json.parse(response.body()).get("detail").asText()).isNotBlank();
    assertThat(nodeCount()).isEqualTo(before);
  }

  @Test
  void theSignedChallengeVerifiesTheNodeOnceAndAReplayIsRejected() {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n1", List.of("echo"));
    ProveNodeResponse proven = node.prove(server.channel());
    assertThat(proven.getVerified()).isTrue();
    assertThat(proven.getStatus()).isEqualTo("REGISTERED");
    assertThat(nodeRow(node.id()).getVerified()).isTrue();
    assertThat(registrationOf(node).getChallenge()).isNull();
    assertThat(registrationOf(node).getProvenAt()).isNotNull();

    assertFails(() -> node.prove(server.channel()), Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED");
  }

  @Test
  void aWrongSignatureIsRejectedAndUsesUpTheChallenge() {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n2", List.of("echo"));
    String overOtherText = node.sign("0".repeat(64));
    assertFails(() -> node.blocking(server.channel()).proveNode(ProveNodeRequest.newBuilder()
        .setNodeId(node.id().toString()).setSignature(overOtherText).build()), Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED");
    // the right signature now comes too late: the challenge was consumed by the failed attempt
    assertFails(() -> node.prove(server.channel()), Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED");
    assertThat(nodeRow(node.id()).getVerified()).isFalse();
  }

  @Test
  void aSignatureByAnotherKeyIsRejected() {
    TestNode node = TestNode.withNewKey();
    TestNode impostor = TestNode.withNewKey();
    node.register(server.channel(), "n3", List.of("echo"));
    String forged = impostor.sign(node.challenge());
    assertFails(() -> node.blocking(server.channel()).proveNode(ProveNodeRequest.newBuilder()
        .setNodeId(node.id().toString()).setSignature(forged).build()), Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED");
    assertThat(nodeRow(node.id()).getVerified()).isFalse();
  }

  @Test
  void anExpiredChallengeIsRejected() {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n4", List.of("echo"));
    clock.advance(Duration.ofMinutes(11));
    assertFails(() -> node.prove(server.channel()), Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED");
  }

  @Test
  void proofOverRestChecksTheSignatureShapeAndTheCallersNode() {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n5", List.of("echo"));
    TestNode other = TestNode.withNewKey();
    other.register(server.channel(), "n6", List.of("echo"));
    String path = "/api/v1/nodes/" + node.id() + "/verify";

    HttpResponse<String> malformed = server.postJson(path, "{\"signature\":\"abc\"}", "Authorization", nodeBearer(node.token()));
    assertThat(malformed.statusCode()).isEqualTo(422);
    HttpResponse<String> foreign = server.postJson(path, "{\"signature\":\"" + other.sign(other.challenge()) + "\"}",
        "Authorization", nodeBearer(other.token()));
    assertThat(foreign.statusCode()).isEqualTo(403);
    HttpResponse<String> anonymous = server.postJson(path, "{\"signature\":\"" + node.sign(node.challenge()) + "\"}");
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(registrationOf(node).getChallenge()).as("failed calls before the check keep the challenge").isNotNull();

    HttpResponse<String> proven = server.postJson(path, "{\"signature\":\"" + node.sign(node.challenge()) + "\"}",
        "Authorization", nodeBearer(node.token()));
    assertThat(proven.statusCode()).isEqualTo(200);
    assertThat(Json.parse(proven.body()).get("verified").asBoolean()).isTrue();
  }

  @Test
  void reRegisteringAKnownKeyKeepsTheIdAndTakesEffectOnlyWithTheProof() {
    TestNode node = TestNode.ready(server.channel(), "n7", List.of("echo7"));
    node.blocking(server.channel()).heartbeat(HeartbeatRequest.newBuilder().setCurrentLoad(0.1).build());
    assertThat(nodeRow(node.id()).getStatus()).isEqualTo("HEALTHY");
    UUID firstId = node.id();
    String firstToken = node.token();
    String firstChallenge = node.challenge();

    RegisterNodeResponse again = node.register(server.channel(), "n7-renamed", List.of("echo7", "echo7b"));
    assertThat(again.getNodeId()).isEqualTo(firstId.toString());
    assertThat(again.getChallenge()).isNotEqualTo(firstChallenge);
    assertThat(again.getStatus()).isEqualTo("REGISTERED");
    // nothing changes before the proof: the node stays proven, HEALTHY and eligible for jobs
    NodesRecord row = nodeRow(firstId);
    assertThat(row.getVerified()).isTrue();
    assertThat(row.getStatus()).isEqualTo("HEALTHY");
    assertThat(row.getName()).isEqualTo("n7");
    assertThat(row.getCapabilities()).containsExactly("echo7");
    UUID creator = UUID.randomUUID();
    JobLedger.of(server).deposit(creator, 100_000);
    HttpResponse<String> accepted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo7\"}",
        "Authorization", userBearer(server, creator));
    // accepted (queued for the node, which has no stream here), not 400 "no HEALTHY node"
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
    // the new token is good for the proof only; the earlier proven one still works
    assertFails(() -> node.blocking(server.channel()).heartbeat(HeartbeatRequest.getDefaultInstance()),
        Status.Code.UNAUTHENTICATED, "TOKEN_INVALID");
    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":0.3}", "Authorization", nodeBearer(firstToken))
        .statusCode()).isEqualTo(200);

    node.prove(server.channel());
    row = nodeRow(firstId);
    assertThat(row.getName()).isEqualTo("n7-renamed");
    assertThat(row.getCapabilities()).containsExactly("echo7", "echo7b");
    assertThat(node.blocking(server.channel()).heartbeat(HeartbeatRequest.getDefaultInstance()).getStatus())
        .isEqualTo("HEALTHY");
  }

  @Test
  void theOperatorNamedAtRegistrationTakesEffectOnlyWithTheProof() {
    UUID owner = UUID.randomUUID();
    UUID attacker = UUID.randomUUID();
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n8", List.of("echo"), userBearer(server, owner));
    assertThat(nodeRow(node.id()).getOperatorUserId()).isNull();
    node.prove(server.channel());
    assertThat(nodeRow(node.id()).getOperatorUserId()).isEqualTo(owner);

    // someone who knows the public key re-registers it under their own account but cannot prove it
    TestNode thief = TestNode.withNewKey();
    server.postJson("/api/v1/nodes/register", registration("stolen", node.publicKeyPem(), List.of("echo")).toString(),
        "Authorization", userBearer(server, attacker));
    assertThat(nodeRow(node.id()).getOperatorUserId()).isEqualTo(owner);
    assertThat(thief).isNotNull();
    // the real node re-registers (without a bearer) and proves: the earnings stay with the owner
    node.register(server.channel(), "n8", List.of("echo"));
    node.prove(server.channel());
    assertThat(nodeRow(node.id()).getOperatorUserId()).isEqualTo(owner);
  }

  @Test
  void restHeartbeatsReportStatusAndRejectBadLoad() {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "n9", List.of("echo"));
    // the registration's token works for heartbeats only once its challenge is signed
    HttpResponse<String> unproven = server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":0.5}",
        "Authorization", nodeBearer(node.token()));
    assertThat(unproven.statusCode()).isEqualTo(401);
    assertThat(nodeRow(node.id()).getLastHeartbeatAt()).isNull();

    node.prove(server.channel());
    HttpResponse<String> healthy = server.postJson("/api/v1/nodes/heartbeat",
        "{\"current_load\":0.45,\"metadata\":{\"gpu_temp\":72}}", "Authorization", nodeBearer(node.token()));
    assertThat(Json.parse(healthy.body()).get("status").asText()).isEqualTo("HEALTHY");
    assertThat(Json.parse(healthy.body()).get("acknowledged").asBoolean()).isTrue();
    assertThat(Json.parse(healthy.body()).get("node_id").asText()).isEqualTo(node.id().toString());
    assertThat(nodeRow(node.id()).getMetadata().data()).contains("gpu_temp");
    assertThat(nodeRow(node.id()).getCurrentLoad()).isEqualTo(0.45);

    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":1.5}", "Authorization", nodeBearer(node.token()))
        .statusCode()).isEqualTo(422);
    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{\"current_load\":-0.1}", "Authorization", nodeBearer(node.token()))
        .statusCode()).isEqualTo(422);
    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{}").statusCode()).isEqualTo(401);
    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{}", "Authorization", "Bearer forged").statusCode()).isEqualTo(401);
    // a user's valid token is authenticated but is no node's: the access policy refuses it
    assertThat(server.postJson("/api/v1/nodes/heartbeat", "{}", "Authorization", userBearer(server, UUID.randomUUID())).statusCode())
        .isEqualTo(403);
  }

  @Test
  void aStreamFromAnUnprovenNodeNeedsTheHelloSignature() {
    TestNode unproven = TestNode.withNewKey();
    unproven.register(server.channel(), "n10", List.of("echo"));
    TestNode.Stream refused = unproven.connect(server.channel(), 1);
    assertThat(refused.closeReason()).isEqualTo("NODE_NOT_VERIFIED");

    TestNode other = TestNode.withNewKey();
    other.register(server.channel(), "n11", List.of("echo"));
    TestNode.Stream forged = other.connect(server.channel(),
        Hello.newBuilder().setSlots(1).setSignature(other.sign("f".repeat(64))));
    assertThat(forged.closeReason()).isEqualTo("CHALLENGE_FAILED");
    assertThat(forged.awaitClose().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    TestNode fresh = TestNode.withNewKey();
    fresh.register(server.channel(), "n12", List.of("echo"));
    TestNode.Stream accepted = fresh.connect(server.channel(),
        Hello.newBuilder().setSlots(2).setSignature(fresh.sign(fresh.challenge())));
    assertThat(accepted.welcome().getWelcome().getHeartbeatTimeoutSeconds()).isEqualTo(90);
    NodesRecord row = nodeRow(fresh.id());
    assertThat(row.getVerified()).isTrue();
    assertThat(row.getStatus()).isEqualTo("HEALTHY");
    assertThat(row.getSlots()).isEqualTo(2);
    assertThat(row.getStreamSession()).isNotNull();
    accepted.halfClose();
    assertThat(accepted.awaitClose().isOk()).isTrue();
  }

  static ObjectNode registration(String name, String key, List<String> capabilities) {
    ObjectNode body = JSON.createObjectNode().put("name", name).put("public_key", key);
    capabilities.forEach(body.putArray("capabilities")::add);
    body.putObject("metadata").put("gpu", "RTX 4090");
    return body;
  }

  private static int nodeCount() {
    return server.controlPlane().database().dsl().fetchCount(NODES);
  }

  /** The registration that issued {@code node}'s current token. */
  private static NodeRegistrationsRecord registrationOf(TestNode node) {
    UUID registration = server.controlPlane().identity().tokens().verifyNodeToken(node.token()).node().orElseThrow()
        .registrationId();
    return server.controlPlane().database().dsl().selectFrom(NODE_REGISTRATIONS)
        .where(NODE_REGISTRATIONS.ID.eq(registration)).fetchSingle();
  }

  private static NodesRecord nodeRow(UUID id) {
    return server.controlPlane().database().dsl().selectFrom(NODES).where(NODES.ID.eq(id)).fetchSingle();
  }
}
