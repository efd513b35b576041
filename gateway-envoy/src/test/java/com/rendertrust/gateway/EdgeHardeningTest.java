package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.rendertrust.gateway.RouteMatching.Request;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.HeadersWithUnderscoresAction;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.health_check.v3.HealthCheck;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Edge hardening: logs without secrets, JSON error replies, CORS, limits, health, overload. */
class EdgeHardeningTest {

  private static HttpConnectionManager manager;
  private static VirtualHost host;

  @BeforeAll
  static void load() {
    manager = EnvoyConfig.connectionManager(EnvoyConfig.packaged());
    host = manager.getRouteConfig().getVirtualHosts(0);
  }

  @Test
  void accessLogsAreJsonOnStdoutAndNeverCarryCredentials() {
    assertThat(manager.getAccessLogList()).singleElement().satisfies((AccessLog log) -> {
      StdoutAccessLog stdout = EnvoyConfig.unpack(log.getTypedConfig(), StdoutAccessLog.class);
      Struct format = stdout.getLogFormat().getJsonFormat();
      assertThat(format.getFieldsMap()).containsKeys("time", "method", "path", "status", "grpc_status",
          "duration_ms", "upstream_host", "request_id", "client");
      for (Value value : format.getFieldsMap().values()) {
        assertThat(value.getStringValue().toLowerCase(Locale.ROOT))
            .doesNotContain("authorization").doesNotContain("x-api-key").doesNotContain("cookie")
            .doesNotContain("%dynamic_metadata").doesNotContain("stripe-signature");
      }
    });
  }

  @Test
  void envoysOwnRepliesAreJsonDetailsExceptForGrpcCallers() {
    LocalReplyConfig replies = manager.getLocalReplyConfig();
    assertThat(replies.getBodyFormat().getJsonFormat().getFieldsMap()).containsOnlyKeys("detail");
    ResponseMapper grpc = replies.getMappers(0);
    assertThat(grpc.getFilter().getHeaderFilter().getHeader().getName()).isEqualTo("content-type");
    assertThat(grpc.getFilter().getHeaderFilter().getHeader().getStringMatch().getPrefix()).isEqualTo("application/grpc");
    assertThat(grpc.getBodyFormatOverride().getTextFormat()).isEqualTo("%LOCAL_REPLY_BODY%");
    for (ResponseMapper mapper : replies.getMappersList().subList(1, replies.getMappersCount())) {
      assertThat(mapper.getBodyFormatOverride().getJsonFormat().getFieldsMap()).containsOnlyKeys("detail");
    }
  }

  @Test
  void corsAllowsTheDesktopAppOnlyAndNoCredentials() {
    CorsPolicy cors = EnvoyConfig.unpack(host.getTypedPerFilterConfigOrThrow("envoy.filters.http.cors"), CorsPolicy.class);
    assertThat(cors.getAllowOriginStringMatchList()).isNotEmpty().allSatisfy(origin -> {
      assertThat(origin.hasExact()).as("exact origins only, never a wildcard or prefix").isTrue();
      assertThat(origin.getExact()).isNotIn("*", "null", "");
    });
    assertThat(cors.getAllowCredentials().getValue()).isFalse();
    assertThat(cors.getAllowHeaders().toLowerCase(Locale.ROOT)).contains("authorization", "content-type", "x-api-key",
        "idempotency-key");
    assertThat(cors.getExposeHeaders().toLowerCase(Locale.ROOT)).contains("retry-after");
  }

  /** The same browser contract as the server's own edge (server/.../platform/http/BrowserAccess.java). */
  @Test
  void corsCoversGrpcWebAsTheServerDoes() {
    CorsPolicy cors = EnvoyConfig.unpack(host.getTypedPerFilterConfigOrThrow("envoy.filters.http.cors"), CorsPolicy.class);
    assertThat(List.of(cors.getAllowMethods().split(",\\s*"))).containsExactly("GET", "POST", "DELETE", "OPTIONS");
    assertThat(List.of(cors.getAllowHeaders().split(",\\s*"))).containsExactly("authorization", "content-type",
        "x-api-key", "idempotency-key", "x-request-id", "x-grpc-web", "x-user-agent", "grpc-timeout");
    assertThat(List.of(cors.getExposeHeaders().split(",\\s*"))).containsExactly("grpc-status", "grpc-message",
        "grpc-status-details-bin", "retry-after", "x-request-id", "x-http-status");
    assertThat(cors.getMaxAge()).isEqualTo("86400");
  }

  @Test
  void requestsAreRateLimitedWithTighterBucketsOnCredentialEndpoints() {
    LocalRateLimit edge = EnvoyConfig.httpFilter(manager, "envoy.filters.http.local_ratelimit", LocalRateLimit.class);
    assertEnforcedEverywhere(edge);
    for (Request request : List.of(Request.rest("/api/v1/auth/login"), Request.grpc("/rendertrust.v1.AuthService/Login"))) {
      Route route = RouteMatching.route(host, request).orElseThrow();
      LocalRateLimit auth = EnvoyConfig.unpack(route.getTypedPerFilterConfigOrThrow("envoy.filters.http.local_ratelimit"),
          LocalRateLimit.class);
      assertEnforcedEverywhere(auth);
      assertThat(auth.getTokenBucket().getMaxTokens()).isLessThan(edge.getTokenBucket().getMaxTokens());
    }
  }

  private static void assertEnforcedEverywhere(LocalRateLimit limit) {
    FractionalPercent all = FractionalPercent.newBuilder().setNumerator(100)
        .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
    assertThat(limit.getFilterEnabled().getDefaultValue()).isEqualTo(all);
    assertThat(limit.getFilterEnforced().getDefaultValue()).isEqualTo(all);
    assertThat(limit.getRateLimitedAsResourceExhausted()).as("gRPC callers see RESOURCE_EXHAUSTED").isTrue();
    assertThat(limit.getResponseHeadersToAddList()).anySatisfy(header ->
        assertThat(header.getHeader().getKey()).isEqualToIgnoringCase("retry-after"));
  }

  @Test
  void clientAddressesAndHeadersAreHandledLikeAnEdgeProxy() {
    assertThat(manager.getUseRemoteAddress().getValue()).isTrue();
    assertThat(manager.getCommonHttpProtocolOptions().getHeadersWithUnderscoresAction())
        .isEqualTo(HeadersWithUnderscoresAction.REJECT_REQUEST);
    assertThat(manager.getPathWithEscapedSlashesAction())
        .isEqualTo(HttpConnectionManager.PathWithEscapedSlashesAction.REJECT_REQUEST);
    assertThat(Durations.toSeconds(manager.getRequestHeadersTimeout())).isBetween(1L, 60L);
    for (Listener listener : EnvoyConfig.packaged().getStaticResources().getListenersList()) {
      assertThat(listener.getPerConnectionBufferLimitBytes().getValue()).as(listener.getName()).isEqualTo(32 * 1024);
    }
    assertThat(EnvoyConfig.packaged().getOverloadManager().getResourceMonitorsList())
        .extracting(monitor -> monitor.getName()).contains("envoy.resource_monitors.fixed_heap");
  }

  @Test
  void envoyAnswersItsOwnHealthCheckAndForwardsTheApisHealthToTheServer() throws java.io.IOException {
    HealthCheck health = EnvoyConfig.httpFilter(manager, "envoy.filters.http.health_check", HealthCheck.class);
    assertThat(health.getPassThroughMode().getValue()).isFalse();
    assertThat(health.getHeaders(0).getStringMatch().getExact()).isEqualTo("/gateway/health");
    assertThat(RoutingTest.documentedRoutes()).doesNotContain("GET /gateway/health");
    for (String path : List.of("/health", "/api/v1/health", "/api/v1/health/ready")) {
      assertThat(RouteMatching.route(host, Request.rest(path)).orElseThrow().getRoute().getCluster())
          .isEqualTo(RoutingTest.SERVER_CLUSTER);
    }
  }
}
