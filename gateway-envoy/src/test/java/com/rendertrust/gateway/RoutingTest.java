package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.util.Durations;
import com.rendertrust.gateway.RouteMatching.Request;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every path documented in docs/API.md reaches the server cluster through Envoy's route table,
 * as Envoy routes it: first on the REST path (which decides the per-route filter settings), then,
 * once the transcoder has rewritten it, on the gRPC path. The node stream has its own route.
 */
class RoutingTest {

  static final String SERVER_CLUSTER = "rendertrust_server";
  /** Documented paths that are plain HTTP endpoints of the server, not RPCs (as in proto's ApiPathCoverageTest). */
  static final Set<String> PLAIN_ENDPOINTS = Set.of("GET /metrics", "PUT `upload_url` (presigned)");
  /** Documented rows whose "path" is a URL the server issues, with an example of it. */
  static final java.util.Map<String, String> ISSUED_URLS =
      java.util.Map.of("PUT `upload_url` (presigned)", "/blobs/uploads/u/0b9e6c1e.blend");
  /** The server ends a node stream after 90 s without a heartbeat (ARCHITECTURE.md §7). */
  static final long HEARTBEAT_TIMEOUT_SECONDS = 90;

  private static final Pattern ROW = Pattern.compile("^\\|\\s*(GET|POST|PUT|PATCH|DELETE)\\s*\\|\\s*([^|]+)\\|");
  private static final String CONNECT = "/rendertrust.v1.NodeService/Connect";

  private static Bootstrap bootstrap;
  private static HttpConnectionManager manager;
  private static VirtualHost host;
  private static GrpcJsonTranscoder transcoder;

  @BeforeAll
  static void load() {
    bootstrap = EnvoyConfig.packaged();
    manager = EnvoyConfig.connectionManager(bootstrap);
    assertThat(manager.getRouteConfig().getVirtualHostsList()).hasSize(1);
    host = manager.getRouteConfig().getVirtualHosts(0);
    assertThat(host.getDomainsList()).containsExactly("*");
    transcoder = EnvoyConfig.httpFilter(manager, "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class);
  }

  @Test
  void everyDocumentedPathReachesTheServerAsItsRpc() throws IOException {
    List<String> routes = documentedRoutes();
    assertThat(routes).as("API.md tables parsed").hasSizeGreaterThan(20);
    for (String documented : routes) {
      String httpMethod = documented.substring(0, documented.indexOf(' '));
      String path = ISSUED_URLS.getOrDefault(documented,
          documented.substring(documented.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "0b9e6c1e"));
      Route first = RouteMatching.route(host, Request.rest(path)).orElseThrow(() -> new AssertionError("no route for " + documented));
      assertThat(first.getRoute().getCluster()).as(documented).isEqualTo(SERVER_CLUSTER);
      if (PLAIN_ENDPOINTS.contains(documented)) {
        assertThat(disabled(first, "envoy.filters.http.grpc_json_transcoder")).as("%s is not an RPC", documented).isTrue();
        continue;
      }
      assertThat(disabled(first, "envoy.filters.http.grpc_json_transcoder")).as("%s is transcoded", documented).isFalse();

      List<MethodDescriptor> rpcs = rpcsServing(httpMethod, path);
      assertThat(rpcs).as("RPCs the transcoder maps %s to", documented).hasSize(1);
      MethodDescriptor rpc = rpcs.getFirst();
      assertThat(transcoder.getServicesList()).contains(rpc.getService().getFullName());

      String grpcPath = "/" + rpc.getService().getFullName() + "/" + rpc.getName();
      Route second = RouteMatching.route(host, Request.grpc(grpcPath)).orElseThrow(() -> new AssertionError("no route for " + grpcPath));
      assertThat(second.getRoute().getCluster()).as(grpcPath).isEqualTo(SERVER_CLUSTER);
      assertThat(Durations.toSeconds(second.getRoute().getTimeout())).as("%s has a deadline", grpcPath).isBetween(1L, 60L);
    }
  }

  @Test
  void nativeGrpcCallsOfEveryUnaryRpcReachTheServer() {
    for (String serviceName : transcoder.getServicesList()) {
      for (MethodDescriptor method : ApiDescriptors.packaged().service(serviceName).orElseThrow().getMethods()) {
        Route route = RouteMatching.route(host, Request.grpc("/" + serviceName + "/" + method.getName())).orElseThrow();
        assertThat(route.getRoute().getCluster()).isEqualTo(SERVER_CLUSTER);
      }
    }
    Route health = RouteMatching.route(host, Request.grpc("/grpc.health.v1.Health/Check")).orElseThrow();
    assertThat(health.getRoute().getCluster()).isEqualTo(SERVER_CLUSTER);
  }

  @Test
  void theNodeStreamIsPlainGrpcWithTimeoutsForHoursLongConnections() {
    Route stream = RouteMatching.route(host, Request.grpc(CONNECT)).orElseThrow();
    assertThat(stream.getName()).isEqualTo("node-connect-stream");
    assertThat(stream.getMatch().hasGrpc()).as("only gRPC requests take this route").isTrue();
    RouteAction action = stream.getRoute();
    assertThat(action.getCluster()).isEqualTo(SERVER_CLUSTER);
    assertThat(action.hasTimeout()).isTrue();
    assertThat(Durations.toNanos(action.getTimeout())).as("no deadline on the whole stream").isZero();
    assertThat(Durations.toSeconds(action.getIdleTimeout())).as("idle timeout above the heartbeat timeout")
        .isGreaterThanOrEqualTo(2 * HEARTBEAT_TIMEOUT_SECONDS);
    assertThat(!action.getMaxStreamDuration().hasMaxStreamDuration()
        || Durations.toNanos(action.getMaxStreamDuration().getMaxStreamDuration()) == 0).as("no max stream duration").isTrue();
    assertThat(disabled(stream, "envoy.filters.http.grpc_json_transcoder")).as("never transcoded").isTrue();
    assertThat(EnvoyConfig.unpack(stream.getTypedPerFilterConfigOrThrow("envoy.filters.http.buffer"), BufferPerRoute.class)
        .getDisabled()).as("never buffered").isTrue();
    assertThat(EnvoyConfig.unpack(stream.getTypedPerFilterConfigOrThrow("envoy.filters.http.lua"), LuaPerRoute.class)
        .getDisabled()).isTrue();
    // Connect has no HTTP rule, so even a JSON POST to its path is no REST route.
    MethodDescriptor connect = ApiDescriptors.packaged().service("rendertrust.v1.NodeService").orElseThrow()
        .findMethodByName("Connect");
    assertThat(connect.isClientStreaming() && connect.isServerStreaming()).isTrue();
    assertThat(ApiDescriptors.httpRule(connect)).isEmpty();
    assertThat(RouteMatching.route(host, Request.rest(CONNECT)).orElseThrow().getName()).isNotEqualTo("node-connect-stream");

    // Nothing at the connection manager level cuts a long stream short.
    assertThat(Durations.toNanos(manager.getRequestTimeout())).isZero();
    assertThat(manager.getCommonHttpProtocolOptions().hasMaxStreamDuration()).isFalse();
    assertThat(manager.getCommonHttpProtocolOptions().hasMaxConnectionDuration()).isFalse();
    assertThat(manager.getHttp2ProtocolOptions().hasConnectionKeepalive()).as("dead peers are detected").isTrue();
    Cluster server = serverCluster();
    assertThat(server.getCircuitBreakers().getThresholds(0).getMaxRequests().getValue())
        .as("every connected node holds an upstream request").isGreaterThanOrEqualTo(10_000);
  }

  @Test
  void jobEventsPassThroughAsServerSentEventsAndTheJsonFormIsTranscoded() {
    String events = "/api/v1/jobs/0b9e6c1e/events";
    Route sse = RouteMatching.route(host, new Request(events, java.util.Map.of("accept", "text/event-stream")))
        .orElseThrow();
    assertThat(sse.getName()).isEqualTo("job-events-sse");
    assertThat(sse.getRoute().getCluster()).isEqualTo(SERVER_CLUSTER);
    assertThat(disabled(sse, "envoy.filters.http.grpc_json_transcoder")).as("not transcoded").isTrue();
    assertThat(EnvoyConfig.unpack(sse.getTypedPerFilterConfigOrThrow("envoy.filters.http.buffer"), BufferPerRoute.class)
        .getDisabled()).as("never buffered").isTrue();
    assertThat(Durations.toNanos(sse.getRoute().getTimeout())).as("no deadline on the whole stream").isZero();
    assertThat(Durations.toSeconds(sse.getRoute().getIdleTimeout())).as("idle timeout above the 15 s keepalive")
        .isGreaterThanOrEqualTo(60);
    // browsers send a list; the media type is case-insensitive
    assertThat(RouteMatching.route(host, new Request(events, java.util.Map.of("accept", "Text/Event-Stream, */*")))
        .orElseThrow().getName()).isEqualTo("job-events-sse");

    Route json = RouteMatching.route(host, Request.rest(events).with("accept", "application/json")).orElseThrow();
    assertThat(json.getName()).isEqualTo("api");
    assertThat(disabled(json, "envoy.filters.http.grpc_json_transcoder")).isFalse();
    assertThat(rpcsServing("GET", events)).extracting(MethodDescriptor::getName).containsExactly("ListJobEvents");
    // only the events path of a job streams
    for (String other : List.of("/api/v1/jobs/0b9e6c1e", "/api/v1/jobs/0b9e6c1e/events/x", "/api/v1/jobs//events")) {
      assertThat(RouteMatching.route(host, new Request(other, java.util.Map.of("accept", "text/event-stream")))
          .orElseThrow().getName()).as(other).isEqualTo("api");
    }
  }

  @Test
  void jobWatchesArePlainGrpcStreamsWithoutDeadlines() {
    for (String method : List.of("WatchJob", "WatchJobs")) {
      MethodDescriptor rpc = ApiDescriptors.packaged().service("rendertrust.v1.JobService").orElseThrow()
          .findMethodByName(method);
      assertThat(rpc.isServerStreaming()).isTrue();
      Route route = RouteMatching.route(host, Request.grpc("/rendertrust.v1.JobService/" + method)).orElseThrow();
      assertThat(route.getName()).isEqualTo("job-watch-streams");
      assertThat(Durations.toNanos(route.getRoute().getTimeout())).isZero();
      assertThat(Durations.toNanos(route.getRoute().getIdleTimeout())).isZero();
      assertThat(disabled(route, "envoy.filters.http.grpc_json_transcoder")).isTrue();
    }
    Route unary = RouteMatching.route(host, Request.grpc("/rendertrust.v1.JobService/ListJobEvents")).orElseThrow();
    assertThat(unary.getName()).isEqualTo("api");
  }

  @Test
  void reflectionIsNotReachableThroughTheEdge() {
    Route reflection = RouteMatching.route(host, Request.grpc("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"))
        .orElseThrow();
    assertThat(reflection.hasDirectResponse()).isTrue();
    assertThat(reflection.getDirectResponse().getStatus()).isEqualTo(404);
  }

  @Test
  void theServerClusterIsHttp2ToEveryResolvedReplicaAndHealthChecked() {
    Cluster server = serverCluster();
    assertThat(server.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    HttpProtocolOptions protocol = EnvoyConfig.unpack(server.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"), HttpProtocolOptions.class);
    assertThat(protocol.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as("gRPC needs HTTP/2 upstream").isTrue();
    assertThat(server.getHealthChecksList()).singleElement().satisfies(check -> assertThat(check.hasGrpcHealthCheck()).isTrue());
    assertThat(server.getLoadAssignment().getEndpoints(0).getLbEndpointsList())
        .extracting(endpoint -> endpoint.getEndpoint().getAddress().getSocketAddress().getAddress() + ":"
            + endpoint.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .containsExactly("rendertrust-server:8000");
    assertThat(bootstrap.getStaticResources().getClustersList()).extracting(Cluster::getName).containsExactly(SERVER_CLUSTER);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  static Cluster serverCluster() {
    return EnvoyConfig.packaged().getStaticResources().getClustersList().stream()
        .filter(cluster -> cluster.getName().equals(SERVER_CLUSTER)).findFirst().orElseThrow();
  }

  static boolean disabled(Route route, String filter) {
    Any config = route.getTypedPerFilterConfigMap().get(filter);
    return config != null && config.is(FilterConfig.class) && EnvoyConfig.unpack(config, FilterConfig.class).getDisabled();
  }

  /** The RPCs whose HTTP bindings match this method and concrete path (path templates: one segment per variable). */
  static List<MethodDescriptor> rpcsServing(String httpMethod, String path) {
    List<MethodDescriptor> found = new ArrayList<>();
    for (String serviceName : transcoderServices()) {
      ServiceDescriptor service = ApiDescriptors.packaged().service(serviceName).orElseThrow();
      for (MethodDescriptor method : service.getMethods()) {
        Optional<com.google.api.HttpRule> rule = ApiDescriptors.httpRule(method);
        if (rule.isPresent() && ApiDescriptors.bindings(rule.get()).stream().anyMatch(binding -> matches(binding, httpMethod, path))) {
          found.add(method);
        }
      }
    }
    return found;
  }

  private static List<String> transcoderServices() {
    return EnvoyConfig.httpFilter(EnvoyConfig.connectionManager(EnvoyConfig.packaged()),
        "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class).getServicesList();
  }

  static boolean matches(String binding, String httpMethod, String path) {
    String[] parts = binding.split(" ", 2);
    if (!parts[0].equals(httpMethod)) {
      return false;
    }
    String[] template = parts[1].split("/", -1);
    String[] actual = path.split("/", -1);
    if (template.length != actual.length) {
      return false;
    }
    for (int i = 0; i < template.length; i++) {
      boolean variable = template[i].startsWith("{") && template[i].endsWith("}");
      if (variable ? actual[i].isEmpty() : !template[i].equals(actual[i])) {
        return false;
      }
    }
    return true;
  }

  static List<String> documentedRoutes() throws IOException {
    Set<String> routes = new TreeSet<>();
    for (String line : Files.readAllLines(repoRoot().resolve("docs/API.md"))) {
      Matcher row = ROW.matcher(line);
      if (row.find()) {
        for (String path : row.group(2).split(",")) {
          routes.add(row.group(1) + " " + path.strip());
        }
      }
    }
    return List.copyOf(routes);
  }

  static Path repoRoot() {
    return Path.of(System.getProperty("rt.repo.root", "..")).toAbsolutePath().normalize();
  }
}
