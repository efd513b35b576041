package com.rendertrust.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.Anchor;
import com.rendertrust.api.v1.GetProofRequest;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.ListAnchorsRequest;
import com.rendertrust.api.v1.ListAnchorsResponse;
import com.rendertrust.server.ledger.anchor.AnchorRepository;
import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import com.rendertrust.server.ledger.anchor.MerkleBatchSealer;
import com.rendertrust.server.ledger.merkle.MerkleHashing;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ListAnchors through the real composition root (anchoring disabled: listing needs only the
 * table), called by a registered user over the in-process channel and over REST.
 */
class LedgerAnchorsApiTest {

  private static final Instant START = Instant.parse("2026-11-01T00:00:00Z");
  private static TestServer server;
  private static TestUser user;
  private static final List<SealedBatch> sealed = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    user = TestUsers.register(server);

    MutableClock clock = new MutableClock(START);
    MerkleBatchSealer sealer = new MerkleBatchSealer(new AnchorRepository(server.controlPlane().database().dsl()), clock);
    long sequence = 1;
    for (int i = 0; i < 25; i++) {
      List<byte[]> leaves = new ArrayList<>();
      for (int j = 0; j <= i; j++) {
        leaves.add(MerkleHashing.leafHash(("entry " + sequence + j).getBytes()));
      }
      long first = sequence;
      sealed.add(server.controlPlane().database().dsl().transactionResult(cfg ->
          sealer.seal(DSL.using(cfg), leaves, first, first + leaves.size() - 1)));
      sequence += leaves.size();
      clock.advance(Duration.ofHours(1));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static LedgerServiceGrpc.LedgerServiceBlockingStub asUser() {
    return user.authenticate(LedgerServiceGrpc.newBlockingStub(server.channel()));
  }

  @Test
  void aUserPagesThroughAllAnchorsNewestFirst() {
    ListAnchorsResponse first = asUser().listAnchors(ListAnchorsRequest.getDefaultInstance());
    assertThat(first.getCount()).isEqualTo(25);
    assertThat(first.getPage()).isEqualTo(1);
    assertThat(first.getPerPage()).isEqualTo(20);
    assertThat(first.getAnchorsList()).hasSize(20);
    assertThat(first.getAnchors(0).getBatchId()).isEqualTo(Long.toString(sealed.get(24).batchId()));

    ListAnchorsResponse second = asUser().listAnchors(ListAnchorsRequest.newBuilder().setPage(2).build());
    assertThat(second.getAnchorsList()).hasSize(5);
    List<String> all = new ArrayList<>();
    first.getAnchorsList().forEach(a -> all.add(a.getBatchId()));
    second.getAnchorsList().forEach(a -> all.add(a.getBatchId()));
    assertThat(all).containsExactlyElementsOf(sealed.reversed().stream().map(s -> Long.toString(s.batchId())).toList());

    assertThat(asUser().listAnchors(ListAnchorsRequest.newBuilder().setPage(3).build()).getAnchorsList()).isEmpty();
    ListAnchorsResponse big = asUser().listAnchors(ListAnchorsRequest.newBuilder().setPerPage(100).build());
    assertThat(big.getAnchorsList()).hasSize(25);
    assertThat(big.getPerPage()).isEqualTo(100);
  }

  @Test
  void anAnchorCarriesItsBatchAndPendingState() {
    ListAnchorsResponse page = asUser().listAnchors(ListAnchorsRequest.newBuilder().setPerPage(100).build());
    Anchor oldest = page.getAnchors(24);
    SealedBatch batch = sealed.get(0);
    assertThat(oldest.getBatchId()).isEqualTo(Long.toString(batch.batchId()));
    assertThat(oldest.getMerkleRoot()).isEqualTo(HexFormat.of().formatHex(batch.merkleRoot())).hasSize(64);
    assertThat(oldest.getEntryCount()).isEqualTo(1);
    assertThat(oldest.getFirstSequence()).isEqualTo(1);
    assertThat(oldest.getLastSequence()).isEqualTo(1);
    assertThat(oldest.getStatus()).isEqualTo("PENDING");
    assertThat(oldest.hasTxHash()).isFalse();
    assertThat(oldest.hasBlockNumber()).isFalse();
    assertThat(oldest.hasAnchoredAt()).isFalse();
    assertThat(Instant.parse(oldest.getCreatedAt())).isEqualTo(START);
    assertThat(page.getAnchors(0).getEntryCount()).isEqualTo(25);
  }

  @Test
  void sinceKeepsAnchorsCreatedAtOrAfterIt() {
    ListAnchorsResponse since = asUser().listAnchors(ListAnchorsRequest.newBuilder()
        .setSince("2026-11-01T20:00:00Z").build());
    assertThat(since.getCount()).isEqualTo(5);
    assertThat(since.getAnchorsList()).allSatisfy(a ->
        assertThat(Instant.parse(a.getCreatedAt())).isAfterOrEqualTo(Instant.parse("2026-11-01T20:00:00Z")));
    assertThat(asUser().listAnchors(ListAnchorsRequest.newBuilder().setSince("2026-11-01T21:00:00+01:00").build())
        .getCount()).as("offsets are honoured").isEqualTo(5);
    assertThat(asUser().listAnchors(ListAnchorsRequest.newBuilder().setSince("2030-01-01T00:00:00Z").build())
        .getCount()).isZero();
  }

  @Test
  void badPagingOrSinceIsAValidationError() {
    for (ListAnchorsRequest bad : List.of(
        ListAnchorsRequest.newBuilder().setPage(-1).build(),
        ListAnchorsRequest.newBuilder().setPerPage(101).build(),
        ListAnchorsRequest.newBuilder().setPerPage(-5).build(),
        ListAnchorsRequest.newBuilder().setSince("yesterday").build(),
        ListAnchorsRequest.newBuilder().setSince("2026-11-01").build())) {
      assertThatThrownBy(() -> asUser().listAnchors(bad)).as(bad.toString())
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(reason(e)).isEqualTo("VALIDATION_FAILED");
          });
    }
  }

  @Test
  void callersWithoutAUserAreUnauthenticated() {
    assertThatThrownBy(() -> LedgerServiceGrpc.newBlockingStub(server.channel()).listAnchors(ListAnchorsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(reason(e)).isEqualTo("UNAUTHENTICATED");
        });
    String nodeToken = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(UUID.randomUUID())).value();
    assertThatThrownBy(() -> LedgerServiceGrpc.newBlockingStub(server.channel())
        .withCallCredentials(GrpcCredentials.bearer(nodeToken))
        .listAnchors(ListAnchorsRequest.getDefaultInstance()))
        .as("a node is not a user")
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

    HttpResponse<String> rest = server.get("/api/v1/ledger/anchors?page=1&per_page=5");
    assertThat(rest.statusCode()).isEqualTo(401);
    assertThat(Json.parse(rest.body()).get("detail").asText()).isNotBlank();

    HttpResponse<String> authenticated = server.get("/api/v1/ledger/anchors?page=1&per_page=5", user.authHeader());
    assertThat(authenticated.statusCode()).isEqualTo(200);
    assertThat(Json.parse(authenticated.body()).get("anchors")).hasSize(5);
    assertThat(Json.parse(authenticated.body()).get("count").asInt()).isEqualTo(25);
  }

  @Test
  void withoutAChainAnOwnEntryIsNeverAnchoredAndAMissingOneIsNotFound() {
    assertThatThrownBy(() -> asUser().getProof(GetProofRequest.newBuilder().setEntryId(UUID.randomUUID().toString()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    String entryId = server.controlPlane().credits()
        .adjust(user.id(), com.rendertrust.server.credits.CreditAmount.ofCredits(5), "anchors-test", "grant")
        .id().toString();
    HttpResponse<String> proof = server.get("/api/v1/ledger/" + entryId + "/proof", user.authHeader());
    assertThat(proof.statusCode()).isEqualTo(409);
    assertThat(Json.parse(proof.body()).get("detail").asText()).contains("not anchored yet");
    assertThat(server.get("/api/v1/ledger/" + entryId + "/verify", user.authHeader()).statusCode()).isEqualTo(409);
  }

  @Test
  void withoutAChainReadinessHasNoChainCheck() {
    var ready = Json.parse(server.get("/api/v1/health/ready").body());
    assertThat(ready.get("status").asText()).isEqualTo("ready");
    assertThat(ready.get("checks").has("chain")).isFalse();
    assertThat(server.controlPlane().anchoring()).isEmpty();
  }

  private static String reason(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    return status.getDetailsList().stream().filter(any -> any.is(ErrorInfo.class)).map(any -> {
      try {
        return any.unpack(ErrorInfo.class).getReason();
      } catch (InvalidProtocolBufferException ex) {
        throw new AssertionError(ex);
      }
    }).findFirst().orElseThrow();
  }
}
