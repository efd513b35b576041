package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DeductRequest;
import com.rendertrust.api.v1.DeductResponse;
import com.rendertrust.api.v1.ErrorReason;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.api.v1.TokenPair;
import com.rendertrust.api.v1.User;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.auth.Access;
import com.rendertrust.server.auth.AccessControlInterceptor;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.GrpcErrors;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestAccessControl;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one error model end to end: a domain failure leaves as google.rpc.Status + ErrorInfo over
 * gRPC and as the documented HTTP code + {"detail"} over REST. Feature services here are small
 * test doubles that fail on demand; the edge, interceptors and transcoder are the real ones.
 */
class ErrorModelTest {

  private static HttpEdge edge;
  private static Server grpcServer;
  private static ManagedChannel channel;
  private static final HttpClient http = HttpClient.newHttpClient();

  /** Fails every Deduct with the reason named in its description; async failures use onError. */
  static final class FailingCredits extends CreditServiceGrpc.CreditServiceImplBase {
    @Override
    public void deduct(DeductRequest request, StreamObserver<DeductResponse> responses) {
      Reason reason = Reason.valueOf(request.getDescription());
      Map<String, String> metadata = reason == Reason.INSUFFICIENT_CREDITS
          ? Map.of("available", "5.0000", "requested", request.getAmount())
          : reason == Reason.RATE_LIMITED ? Map.of("retry_after_seconds", "42") : Map.of();
      DomainException failure = new DomainException(reason, "detail for " + reason, metadata);
      if (request.getReferenceId().equals("async")) {
        responses.onError(failure);
      } else {
        throw failure;
      }
    }
  }

  /** Succeeds, so the edge must turn the transcoder's 200 into the documented 201. */
  static final class CreatingAuth extends AuthServiceGrpc.AuthServiceImplBase {
    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> responses) {
      responses.onNext(RegisterResponse.newBuilder()
          .setUser(User.newBuilder().setId("u1").setEmail(request.getEmail()).setName(request.getName()))
          .setTokens(TokenPair.newBuilder().setAccessToken("a").setRefreshToken("r").setTokenType("bearer"))
          .build());
      responses.onCompleted();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<BindableService> features = List.of(new FailingCredits(), new CreatingAuth());
    // The error model is under test here, not access control: the doubles' RPCs are public.
    AccessControlInterceptor openAccess = TestAccessControl.withPolicies(Map.of(
        CreditServiceGrpc.getDeductMethod().getFullMethodName(), Access.PUBLIC,
        AuthServiceGrpc.getRegisterMethod().getFullMethodName(), Access.PUBLIC));
    List<ServerServiceDefinition> services = ControlPlane.pipeline(metrics, openAccess).wrapAll(features);
    edge = HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(1), Set.of()),
        services, metrics);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    services.forEach(builder::addService);
    grpcServer = builder.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    grpcServer.shutdownNow();
    edge.close();
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyReasonReachesRestWithItsDocumentedStatus(Reason reason) throws Exception {
    HttpResponse<String> response = deduct(reason, "sync");
    assertThat(response.statusCode()).isEqualTo(reason.httpStatus());
    assertThat(Json.parse(response.body()).get("detail").asText()).isEqualTo("detail for " + reason);
    assertThat(deduct(reason, "async").statusCode()).as("failure passed to onError").isEqualTo(reason.httpStatus());
  }

  @Test
  void insufficientCreditsCarriesAvailableAndRequested() throws Exception {
    HttpResponse<String> response = deduct(Reason.INSUFFICIENT_CREDITS, "sync");
    assertThat(response.statusCode()).isEqualTo(402);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse(
        "{\"detail\":\"detail for INSUFFICIENT_CREDITS\",\"available\":\"5.0000\",\"requested\":\"10.0000\"}"));
  }

  @Test
  void rateLimitedSetsRetryAfter() throws Exception {
    HttpResponse<String> response = deduct(Reason.RATE_LIMITED, "sync");
    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).contains("42");
  }

  @Test
  void creationAnswers201WithSnakeCaseBody() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/auth/register"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"a@b.co\",\"name\":\"A\",\"password\":\"secret123\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse("""
        {"user":{"id":"u1","email":"a@b.co","name":"A","is_active":false},
         "tokens":{"access_token":"a","refresh_token":"r","token_type":"bearer"}}"""));
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void grpcCallersGetStatusWithExactlyOneErrorInfo(Reason reason) {
    CreditServiceGrpc.CreditServiceBlockingStub credits = CreditServiceGrpc.newBlockingStub(channel);
    assertThatThrownBy(() -> credits.deduct(DeductRequest.newBuilder()
        .setAmount("10.0000").setReferenceId("sync").setDescription(reason.name()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(GrpcErrors.codeOf(reason));
          com.google.rpc.Status status = StatusProto.fromThrowable(e);
          assertThat(status).isNotNull();
          List<ErrorInfo> infos = status.getDetailsList().stream().filter(any -> any.is(ErrorInfo.class))
              .map(any -> {
                try {
                  return any.unpack(ErrorInfo.class);
                } catch (Exception ex) {
                  throw new AssertionError(ex);
                }
              }).toList();
          assertThat(infos).hasSize(1);
          assertThat(infos.getFirst().getReason()).isEqualTo(reason.name());
          assertThat(infos.getFirst().getDomain()).isEqualTo(GrpcErrors.DOMAIN);
          assertThat(e.getTrailers().get(GrpcErrors.HTTP_STATUS_KEY)).isEqualTo(Integer.toString(reason.httpStatus()));
        });
  }

  @Test
  void domainReasonsAreExactlyTheContractsErrorReasons() {
    Set<String> contract = Arrays.stream(ErrorReason.values())
        .filter(value -> value != ErrorReason.ERROR_REASON_UNSPECIFIED && value != ErrorReason.UNRECOGNIZED)
        .map(Enum::name).collect(java.util.stream.Collectors.toSet());
    Set<String> domain = Arrays.stream(Reason.values()).map(Enum::name).collect(java.util.stream.Collectors.toSet());
    assertThat(domain).isEqualTo(contract);
    for (Reason reason : Reason.values()) {
      assertThat(GrpcErrors.codeOf(reason)).as(reason.name()).isNotNull();
    }
  }

  @Test
  void unexpectedFailuresLeakNothing() {
    assertThat(GrpcErrors.toStatusException(new IllegalStateException("password=hunter2 at db.internal"))
        .getStatus().getDescription()).startsWith("internal error").doesNotContain("hunter2");
  }

  private static HttpResponse<String> deduct(Reason reason, String mode) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/v1/credits/deduct"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"amount\":\"10.0000\",\"reference_id\":\"" + mode + "\",\"description\":\"" + reason.name() + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }
}
