package com.rendertrust.server.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DeductRequest;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.api.v1.WebhookServiceGrpc;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.auth.Access;
import com.rendertrust.server.testing.TestAccessControl;
import java.util.HashMap;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.GrpcErrors;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor.PrototypeMarshaller;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCalls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The in-process REST edge against the fixtures it shares with the Envoy edge
 * (proto/src/test/resources/rest-edge, via the contracts' test-jar): gateway-envoy runs the very
 * same cases through its Lua filter, so both edges answer every case identically.
 *
 * <p>The services here are doubles that answer exactly what a case prescribes; the HTTP edge,
 * interceptors and transcoder are the real ones.
 */
class RestEdgeFixturesTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static JsonNode errorCases;
  private static JsonNode printCases;
  private static HttpEdge edge;

  @BeforeAll
  static void start() throws IOException {
    errorCases = fixture("error-cases.json");
    printCases = fixture("print-options.json");
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<BindableService> services = new ArrayList<>();
    for (ServiceDescriptor service : List.of(SystemServiceGrpc.getServiceDescriptor(),
        AuthServiceGrpc.getServiceDescriptor(), CreditServiceGrpc.getServiceDescriptor(),
        JobServiceGrpc.getServiceDescriptor(), NodeServiceGrpc.getServiceDescriptor(),
        LedgerServiceGrpc.getServiceDescriptor(), WebhookServiceGrpc.getServiceDescriptor())) {
      services.add(() -> answering(service));
    }
    // The REST edge is under test here, not access control: every RPC of the doubles is public.
    Map<String, Access> open = new HashMap<>();
    services.forEach(service -> service.bindService().getMethods()
        .forEach(method -> open.put(method.getMethodDescriptor().getFullMethodName(), Access.PUBLIC)));
    edge = HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(1),
        Set.of("/api/v1/webhooks/stripe")),
        ControlPlane.pipeline(metrics, TestAccessControl.withPolicies(open)).wrapAll(services), metrics);
  }

  @AfterAll
  static void stop() {
    edge.close();
  }

  @Test
  void reasonsFixtureIsExactlyTheServersReasonTable() throws IOException {
    Map<String, String> fixture = new TreeMap<>();
    fixture("reasons.json").properties().forEach(entry -> fixture.put(entry.getKey(),
        entry.getValue().get("http_status").asInt() + " " + entry.getValue().get("grpc_code").asText()));
    Map<String, String> server = new TreeMap<>();
    for (Reason reason : Reason.values()) {
      server.put(reason.name(), reason.httpStatus() + " " + GrpcErrors.codeOf(reason).name());
    }
    assertThat(fixture).isEqualTo(server);
  }

  static Stream<Arguments> reasons() {
    return Arrays.stream(Reason.values()).map(Arguments::of);
  }

  @ParameterizedTest
  @MethodSource("reasons")
  void everyReasonAnswersItsStatusWithTheServersMessageAsDetail(Reason reason) throws Exception {
    HttpResponse<String> response = deduct("reason:" + reason.name());
    assertThat(response.statusCode()).isEqualTo(reason.httpStatus());
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"detail\":\"detail for " + reason + "\"}"));
  }

  static Stream<Arguments> errorCases() throws IOException {
    List<Arguments> cases = new ArrayList<>();
    JsonNode all = fixture("error-cases.json");
    for (int i = 0; i < all.size(); i++) {
      cases.add(Arguments.of(i, all.get(i).get("name").asText()));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("errorCases")
  void sharedErrorCase(int index, String name) throws Exception {
    JsonNode expected = errorCases.get(index).get("rest");
    HttpResponse<String> response = deduct("case:" + index);
    assertThat(response.statusCode()).as(name).isEqualTo(expected.get("status").asInt());
    assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("application/json");
    assertThat(JSON.readTree(response.body())).as(name).isEqualTo(expected.get("body"));
    expected.get("headers").properties().forEach(header ->
        assertThat(response.headers().firstValue(header.getKey())).as(header.getKey()).contains(header.getValue().asText()));
  }

  /** Every RPC with an HTTP rule, called over REST with a succeeding double: 201 exactly for the fixture's creations. */
  @Test
  void exactlyTheCreationsAnswer201() throws Exception {
    Map<String, Integer> expected = new TreeMap<>();
    fixture("created.json").properties().forEach(entry -> expected.put(entry.getKey(), entry.getValue().asInt()));
    Map<String, Integer> actual = new TreeMap<>();
    for (ServiceDescriptor service : List.of(SystemServiceGrpc.getServiceDescriptor(),
        AuthServiceGrpc.getServiceDescriptor(), CreditServiceGrpc.getServiceDescriptor(),
        JobServiceGrpc.getServiceDescriptor(), NodeServiceGrpc.getServiceDescriptor(),
        LedgerServiceGrpc.getServiceDescriptor(), WebhookServiceGrpc.getServiceDescriptor())) {
      for (io.grpc.MethodDescriptor<?, ?> method : service.getMethods()) {
        MethodDescriptor proto = ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor();
        if (!proto.getOptions().hasExtension(AnnotationsProto.http)) {
          continue;
        }
        HttpResponse<String> response = call(proto.getOptions().getExtension(AnnotationsProto.http));
        assertThat(response.statusCode()).as(method.getFullMethodName() + ": " + response.body()).isBetween(200, 299);
        if (response.statusCode() != 200) {
          actual.put(method.getFullMethodName(), response.statusCode());
        }
      }
    }
    assertThat(actual).isEqualTo(expected);
  }

  static Stream<Arguments> printCases() throws IOException {
    List<Arguments> cases = new ArrayList<>();
    JsonNode all = fixture("print-options.json");
    for (int i = 0; i < all.size(); i++) {
      cases.add(Arguments.of(i, all.get(i).get("name").asText()));
    }
    return cases.stream();
  }

  /** The JSON print options gateway-envoy's transcoder is configured with produce the same bodies (same fixture). */
  @ParameterizedTest(name = "{1}")
  @MethodSource("printCases")
  void responsesPrintLikeTheSharedGolden(int index, String name) throws Exception {
    JsonNode testCase = printCases.get(index);
    HttpResponse<String> response = call(ruleOf(testCase.get("rpc").asText()), testCase.get("rest_path").asText());
    assertThat(response.statusCode()).isEqualTo(200);
    // The in-process edge also prints null for unset fields with presence (the REST contract's
    // nulls, ResponseShapeInterceptor); Envoy omits them (docs/rest.md, "REST nulls"). Apart from those
    // nulls the bodies are the shared golden.
    JsonNode body = JSON.readTree(response.body());
    assertThat(withoutNulls(body)).as(name).isEqualTo(testCase.get("json"));
  }

  private static JsonNode withoutNulls(JsonNode node) {
    if (node.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode copy = JSON.createObjectNode();
      node.properties().forEach(field -> {
        if (!field.getValue().isNull()) {
          copy.set(field.getKey(), withoutNulls(field.getValue()));
        }
      });
      return copy;
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy = JSON.createArrayNode();
      node.forEach(element -> copy.add(withoutNulls(element)));
      return copy;
    }
    return node;
  }

  // ---- the doubles -------------------------------------------------------------------------

  /** A service whose unary RPCs answer the print fixture's response (or an empty one) and whose Deduct fails on demand. */
  private static ServerServiceDefinition answering(ServiceDescriptor service) {
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service);
    for (io.grpc.MethodDescriptor<?, ?> method : service.getMethods()) {
      addMethod(definition, method);
    }
    return definition.build();
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> void addMethod(ServerServiceDefinition.Builder definition, io.grpc.MethodDescriptor<Q, R> method) {
    if (method.getType() != io.grpc.MethodDescriptor.MethodType.UNARY) {
      definition.addMethod(method, ServerCalls.asyncBidiStreamingCall(responses -> {
        responses.onCompleted();
        return new io.grpc.stub.StreamObserver<Q>() {
          @Override public void onNext(Q value) { }
          @Override public void onError(Throwable t) { }
          @Override public void onCompleted() { }
        };
      }));
      return;
    }
    R prototype = ((PrototypeMarshaller<R>) method.getResponseMarshaller()).getMessagePrototype();
    definition.addMethod(method, ServerCalls.asyncUnaryCall((request, responses) -> {
      if (request instanceof DeductRequest deduct && !deduct.getReferenceId().isEmpty()) {
        fail(deduct.getReferenceId());
      }
      responses.onNext(printedResponse(method.getFullMethodName(), (Message) prototype)
          .map(message -> (R) message).orElse(prototype));
      responses.onCompleted();
    }));
  }

  private static java.util.Optional<Message> printedResponse(String rpc, Message prototype) {
    for (JsonNode testCase : printCases) {
      if (testCase.get("rpc").asText().equals(rpc)) {
        try {
          Message.Builder builder = prototype.newBuilderForType();
          JsonFormat.parser().merge(testCase.get("response").toString(), builder);
          return java.util.Optional.of(builder.build());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** Fails the way the server fails: domain reasons through DomainException, anything else as a raw status. */
  private static void fail(String selector) {
    if (selector.startsWith("reason:")) {
      Reason reason = Reason.valueOf(selector.substring("reason:".length()));
      throw new DomainException(reason, "detail for " + reason, Map.of());
    }
    JsonNode grpc = errorCases.get(Integer.parseInt(selector.substring("case:".length()))).get("grpc");
    Status.Code code = Status.Code.valueOf(grpc.get("code").asText());
    String message = grpc.get("message").asText();
    Map<String, String> metadata = new LinkedHashMap<>();
    if (grpc.has("metadata")) {
      grpc.get("metadata").properties().forEach(entry -> metadata.put(entry.getKey(), entry.getValue().asText()));
    }
    if (grpc.has("reason") && Arrays.stream(Reason.values()).anyMatch(r -> r.name().equals(grpc.get("reason").asText()))) {
      Reason reason = Reason.valueOf(grpc.get("reason").asText());
      assertThat(GrpcErrors.codeOf(reason)).as("fixture's gRPC code for %s", reason).isEqualTo(code);
      throw new DomainException(reason, message, metadata);
    }
    if (grpc.has("reason")) {
      throw StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
          .setCode(code.value()).setMessage(message)
          .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(grpc.get("reason").asText())
              .setDomain(GrpcErrors.DOMAIN).putAllMetadata(metadata).build()))
          .build());
    }
    throw (message.isEmpty() ? Status.fromCode(code) : Status.fromCode(code).withDescription(message)).asRuntimeException();
  }

  // ---- REST calls --------------------------------------------------------------------------

  private static HttpResponse<String> deduct(String selector) throws Exception {
    return send(HttpRequest.newBuilder(uri("/api/v1/credits/deduct"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"amount\":\"10.0000\",\"reference_id\":\"" + selector + "\",\"description\":\"d\"}")));
  }

  private static HttpResponse<String> call(HttpRule rule) throws Exception {
    String path = switch (rule.getPatternCase()) {
      case GET -> rule.getGet();
      case POST -> rule.getPost();
      case DELETE -> rule.getDelete();
      case PUT -> rule.getPut();
      case PATCH -> rule.getPatch();
      default -> throw new AssertionError("unexpected rule " + rule);
    };
    return call(rule, path.replaceAll("\\{[^}]+}", "x1"));
  }

  private static HttpResponse<String> call(HttpRule rule, String path) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofString("{}");
    switch (rule.getPatternCase()) {
      case GET -> request.GET();
      case DELETE -> request.DELETE();
      case POST -> request.header("Content-Type", "application/json").POST(body);
      case PUT -> request.header("Content-Type", "application/json").PUT(body);
      case PATCH -> request.header("Content-Type", "application/json").method("PATCH", body);
      default -> throw new AssertionError("unexpected rule " + rule);
    }
    return send(request);
  }

  private static HttpRule ruleOf(String rpc) {
    Map<String, HttpRule> rules = new HashMap<>();
    for (ServiceDescriptor service : List.of(JobServiceGrpc.getServiceDescriptor(), NodeServiceGrpc.getServiceDescriptor())) {
      for (io.grpc.MethodDescriptor<?, ?> method : service.getMethods()) {
        MethodDescriptor proto = ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor();
        rules.put(method.getFullMethodName(), proto.getOptions().getExtension(AnnotationsProto.http));
      }
    }
    assertThat(rules).containsKey(rpc);
    return rules.get(rpc);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = RestEdgeFixturesTest.class.getResourceAsStream("/rest-edge/" + name)) {
      assertThat(in).as("rest-edge/%s from the contracts' test-jar", name).isNotNull();
      return JSON.readTree(in);
    }
  }
}
