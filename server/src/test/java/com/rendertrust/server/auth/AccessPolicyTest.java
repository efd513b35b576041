package com.rendertrust.server.auth;

import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.GetBalanceResponse;
import com.rendertrust.api.v1.HeartbeatRequest;
import com.rendertrust.api.v1.HeartbeatResponse;
import com.rendertrust.api.v1.ListApiKeysRequest;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.grpc.ServicePipeline;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status.Code;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-RPC policy table is complete and enforced: every served method has exactly one policy,
 * a method without one is denied, and each principal reaches exactly what its policy allows. The
 * handler doubles below echo {@link CallerContext}, to show what adapters receive.
 */
class AccessPolicyTest {

  private static TestServer server;
  private static HttpEdge doublesEdge;
  private static Server doublesServer;
  private static ManagedChannel doublesChannel;
  private static final AtomicInteger handlerRuns = new AtomicInteger();
  private static final HttpClient http = HttpClient.newHttpClient();

  /** Returns the calling user's id, as a real credits adapter would. */
  static final class EchoCredits extends CreditServiceGrpc.CreditServiceImplBase {
    @Override
    public void getBalance(GetBalanceRequest request, StreamObserver<GetBalanceResponse> responses) {
      handlerRuns.incrementAndGet();
      responses.onNext(GetBalanceResponse.newBuilder().setBalance(CallerContext.clientAddress())
          .setUserId(CallerContext.requireUser().toString()).build());
      responses.onCompleted();
    }
  }

  /** Returns the calling node's id (heartbeat) or the optional operator (register). */
  static final class EchoNodes extends NodeServiceGrpc.NodeServiceImplBase {
    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> responses) {
      handlerRuns.incrementAndGet();
      responses.onNext(HeartbeatResponse.newBuilder().setNodeId(CallerContext.requireNode().toString()).build());
      responses.onCompleted();
    }

    @Override
    public void registerNode(RegisterNodeRequest request, StreamObserver<RegisterNodeResponse> responses) {
      handlerRuns.incrementAndGet();
      responses.onNext(RegisterNodeResponse.newBuilder()
          .setNodeId(CallerContext.current().map(caller -> caller.id().toString()).orElse("anonymous")).build());
      responses.onCompleted();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    // The doubles run behind the server's own access-control interceptor and a copy of the
    // pipeline, with GetBalance's policy deliberately missing from the table.
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Access> withoutGetBalance = new HashMap<>(AccessPolicy.table());
    withoutGetBalance.remove(CreditServiceGrpc.getGetBalanceMethod().getFullMethodName());
    ServicePipeline real = ControlPlane.pipeline(metrics, server.controlPlane().identity().accessControl());
    ServicePipeline missing = ControlPlane.pipeline(metrics, new AccessControlInterceptor(withoutGetBalance,
        new CredentialAuthenticator(server.controlPlane().identity().tokens(),
            server.controlPlane().identity().revocations(), null),
        new com.rendertrust.server.platform.auth.ClientAddressResolver(List.of())));
    List<ServerServiceDefinition> services = List.of(missing.wrap(new EchoCredits()), real.wrap(new EchoNodes()));
    doublesEdge = HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(1),
        Set.of()), services, metrics);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    services.forEach(builder::addService);
    doublesServer = builder.build().start();
    doublesChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterAll
  static void stop() {
    doublesChannel.shutdownNow();
    doublesServer.shutdownNow();
    doublesEdge.close();
    server.close();
  }

  @Test
  void everyServedMethodHasExactlyOnePolicyAndEveryPolicyAServedMethod() {
    Set<String> served = server.controlPlane().services().stream()
        .flatMap(service -> service.getServiceDescriptor().getMethods().stream())
        .map(MethodDescriptor::getFullMethodName)
        .collect(Collectors.toSet());
    Map<String, Access> table = AccessPolicy.table();

    assertThat(served).as("services bound by the control plane")
        .contains("rendertrust.v1.JobService/DispatchJob", "rendertrust.v1.NodeService/Connect",
            "grpc.health.v1.Health/Check", "grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
    assertThat(table.keySet()).as("methods without a policy would be denied to everyone")
        .containsAll(served);
    assertThat(served).as("policies for methods nobody serves are stale").containsAll(table.keySet());
  }

  @Test
  void aMethodMissingFromTheTableIsDeniedBeforeItsHandlerRuns() throws Exception {
    TestUser user = TestUsers.register(server);
    int before = handlerRuns.get();
    assertFails(() -> user.authenticate(CreditServiceGrpc.newBlockingStub(doublesChannel))
        .getBalance(GetBalanceRequest.getDefaultInstance()), Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    HttpResponse<String> rest = http.send(HttpRequest.newBuilder(doubles("/api/v1/credits/balance"))
        .header("Authorization", "Bearer " + user.accessToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(rest.statusCode()).isEqualTo(403);
    assertThat(Json.parse(rest.body()).get("detail").asText()).isEqualTo("this method is not open to any caller");
    assertThat(handlerRuns.get()).isEqualTo(before);
  }

  @Test
  void nodesReachNodeRpcsOnlyAndAdaptersReceiveTheNodeId() throws Exception {
    UUID nodeId = UUID.randomUUID();
    String nodeToken = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(nodeId)).value();
    TestUser user = TestUsers.register(server);
    var nodes = NodeServiceGrpc.newBlockingStub(doublesChannel);

    HeartbeatResponse beat = nodes.withCallCredentials(GrpcCredentials.bearer(nodeToken))
        .heartbeat(HeartbeatRequest.getDefaultInstance());
    assertThat(beat.getNodeId()).isEqualTo(nodeId.toString());
    HttpResponse<String> restBeat = http.send(HttpRequest.newBuilder(doubles("/api/v1/nodes/heartbeat"))
        .header("Authorization", "Bearer " + nodeToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"current_load\":0.5}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(restBeat.statusCode()).isEqualTo(200);
    assertThat(Json.parse(restBeat.body()).get("node_id").asText()).as("REST headers reach the interceptor")
        .isEqualTo(nodeId.toString());

    assertFails(() -> nodes.heartbeat(HeartbeatRequest.getDefaultInstance()), Code.UNAUTHENTICATED, "UNAUTHENTICATED");
    assertFails(() -> user.authenticate(nodes).heartbeat(HeartbeatRequest.getDefaultInstance()),
        Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    // and the other way round, on the real server
    assertFails(() -> AuthServiceGrpc.newBlockingStub(server.channel()).withCallCredentials(
        GrpcCredentials.bearer(nodeToken)).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    assertThat(server.get("/api/v1/auth/api-keys", "Authorization", "Bearer " + nodeToken).statusCode())
        .isEqualTo(403);
  }

  @Test
  void revokedNodeTokensAre401() {
    UUID nodeId = UUID.randomUUID();
    IssuedToken token = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(nodeId));
    server.controlPlane().identity().revocations().revoke(token.jti(), token.expiresAt());
    assertFails(() -> NodeServiceGrpc.newBlockingStub(doublesChannel)
        .withCallCredentials(GrpcCredentials.bearer(token.value())).heartbeat(HeartbeatRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
  }

  @Test
  void registerNodeTakesAnOptionalOperatorOrNodeButRefusesABadOne() {
    TestUser operator = TestUsers.register(server);
    var nodes = NodeServiceGrpc.newBlockingStub(doublesChannel);
    assertThat(nodes.registerNode(RegisterNodeRequest.getDefaultInstance()).getNodeId()).isEqualTo("anonymous");
    assertThat(operator.authenticate(nodes).registerNode(RegisterNodeRequest.getDefaultInstance()).getNodeId())
        .isEqualTo(operator.id().toString());
    // a node's own token passes the policy (a node moving to a new key); the nodes feature checks it
    UUID nodeId = UUID.randomUUID();
    String nodeToken = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(nodeId)).value();
    assertThat(nodes.withCallCredentials(GrpcCredentials.bearer(nodeToken))
        .registerNode(RegisterNodeRequest.getDefaultInstance()).getNodeId()).isEqualTo(nodeId.toString());
    assertFails(() -> nodes.withCallCredentials(GrpcCredentials.bearer("garbage"))
        .registerNode(RegisterNodeRequest.getDefaultInstance()), Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  @Test
  void healthAndReflectionArePublic() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(server.channel()).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void metricsSeeDeniedCalls() {
    assertThat(server.get("/api/v1/auth/api-keys").statusCode()).isEqualTo(401);
    String metrics = server.get("/metrics").body();
    assertThat(metrics).containsPattern(
        "rpc_server_duration_seconds_count\\{code=\"UNAUTHENTICATED\",method=\"rendertrust.v1.AuthService/ListApiKeys\"\\} [1-9]");
  }

  private static URI doubles(String path) {
    return URI.create("http://127.0.0.1:" + doublesEdge.port() + path);
  }
}
