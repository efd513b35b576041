package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder.PrintOptions;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The grpc_json_transcoder serves every RPC that has an HTTP rule, like the in-process edge. */
class TranscoderConfigTest {

  /**
   * The in-process edge's JSON (server HttpEdge: preservingProtoFieldNames + includingDefaultValueFields,
   * enums by name). The server module cannot be depended on; its RestEdgeFixturesTest proves the
   * in-process output equals rest-edge/print-options.json, and PrintOptionsParityTest proves these
   * options print that same file.
   */
  static final PrintOptions IN_PROCESS_EDGE_JSON = PrintOptions.newBuilder()
      .setPreserveProtoFieldNames(true)
      .setAlwaysPrintPrimitiveFields(true)
      .setAlwaysPrintEnumsAsInts(false)
      .setAddWhitespace(false)
      .build();

  /** The server's default RT_MAX_REQUEST_BYTES (server ConfigLoader): the edge must not accept more. */
  static final int SERVER_MAX_REQUEST_BYTES = 1024 * 1024;

  private static HttpConnectionManager manager;
  private static GrpcJsonTranscoder transcoder;

  @BeforeAll
  static void load() {
    manager = EnvoyConfig.connectionManager(EnvoyConfig.packaged());
    transcoder = EnvoyConfig.httpFilter(manager, "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class);
  }

  @Test
  void everyServiceWithAnHttpRuleIsTranscodedAndEveryListedServiceExists() {
    Set<String> withRules = new TreeSet<>();
    for (ServiceDescriptor service : ApiDescriptors.packaged().services()) {
      if (service.getMethods().stream().anyMatch(method -> ApiDescriptors.httpRule(method).isPresent())) {
        withRules.add(service.getFullName());
      }
    }
    assertThat(withRules).as("services with google.api.http rules").hasSizeGreaterThanOrEqualTo(7);
    assertThat(transcoder.getServicesList()).containsAll(withRules);
    for (String listed : transcoder.getServicesList()) {
      assertThat(ApiDescriptors.packaged().service(listed)).as("%s in the descriptor set", listed).isPresent();
    }
  }

  @Test
  void everyHttpBindingBelongsToExactlyOneRpcAndStreamsHaveNone() {
    Map<String, List<String>> rpcsByBinding = new HashMap<>();
    int rules = 0;
    for (String serviceName : transcoder.getServicesList()) {
      for (MethodDescriptor method : ApiDescriptors.packaged().service(serviceName).orElseThrow().getMethods()) {
        if (method.isClientStreaming() || method.isServerStreaming()) {
          assertThat(ApiDescriptors.httpRule(method)).as("%s is a stream: gRPC only", method.getFullName()).isEmpty();
          continue;
        }
        if (ApiDescriptors.httpRule(method).isPresent()) {
          rules++;
          for (String binding : ApiDescriptors.bindings(ApiDescriptors.httpRule(method).get())) {
            rpcsByBinding.computeIfAbsent(binding, key -> new ArrayList<>()).add(method.getFullName());
          }
        }
      }
    }
    assertThat(rules).isGreaterThan(25);
    rpcsByBinding.forEach((binding, rpcs) -> assertThat(rpcs).as(binding).hasSize(1));
    assertThat(transcoder.getAutoMapping()).as("no RPC is exposed without an explicit rule").isFalse();
  }

  @Test
  void printOptionsAreTheInProcessEdges() {
    assertThat(transcoder.getPrintOptions()).isEqualTo(IN_PROCESS_EDGE_JSON);
  }

  @Test
  void failedCallsBecomeJsonStatusesThatTheDescriptorCanPrint() {
    assertThat(transcoder.getConvertGrpcStatus()).isTrue();
    ApiDescriptors descriptors = ApiDescriptors.packaged();
    assertThat(descriptors.message("google.rpc.Status")).isPresent();
    assertThat(descriptors.message("google.rpc.ErrorInfo")).as("the detail the server always sends").isPresent();
  }

  @Test
  void requestValidationIsStrict() {
    GrpcJsonTranscoder.RequestValidationOptions validation = transcoder.getRequestValidationOptions();
    assertThat(validation.getRejectUnknownMethod()).isTrue();
    assertThat(validation.getRejectUnknownQueryParameters()).isTrue();
    assertThat(validation.getRejectBindingBodyFieldCollisions()).isTrue();
    assertThat(transcoder.getIgnoreUnknownQueryParameters()).isFalse();
    assertThat(transcoder.getIgnoredQueryParametersList()).isEmpty();
    assertThat(transcoder.getMatchIncomingRequestRoute()).as("routes are matched again on the gRPC path").isFalse();
  }

  @Test
  void requestBodiesAreCappedLikeTheServer() {
    Buffer buffer = EnvoyConfig.httpFilter(manager, "envoy.filters.http.buffer", Buffer.class);
    assertThat(buffer.getMaxRequestBytes().getValue()).isEqualTo(SERVER_MAX_REQUEST_BYTES);
    assertThat(transcoder.getMaxRequestBodySize().getValue()).isEqualTo(SERVER_MAX_REQUEST_BYTES);
    assertThat(transcoder.getMaxResponseBodySize().getValue()).as("a full page of 200 jobs fits")
        .isGreaterThanOrEqualTo(1024 * 1024);
  }

  @Test
  void filtersRunInTheOrderTheEdgeNeeds() {
    List<String> names = EnvoyConfig.httpFilterNames(manager);
    assertThat(names).containsExactly(
        "envoy.filters.http.health_check",
        "envoy.filters.http.cors",
        "envoy.filters.http.local_ratelimit",
        "envoy.filters.http.jwt_authn",
        "envoy.filters.http.rbac",
        "envoy.filters.http.buffer",
        "rendertrust.strict_json_bodies",
        "envoy.filters.http.lua",
        "envoy.filters.http.grpc_json_transcoder",
        "envoy.filters.http.router");
    // Encoders run in reverse: Lua must be listed before the transcoder to see (and fix) its output.
    assertThat(names.indexOf("envoy.filters.http.lua")).isLessThan(names.indexOf("envoy.filters.http.grpc_json_transcoder"));
    // CORS preflights are answered before authentication; rate limiting is cheaper than JWT checks.
    assertThat(names.indexOf("envoy.filters.http.cors")).isLessThan(names.indexOf("envoy.filters.http.jwt_authn"));
    assertThat(names.indexOf("envoy.filters.http.local_ratelimit")).isLessThan(names.indexOf("envoy.filters.http.jwt_authn"));
  }
}
