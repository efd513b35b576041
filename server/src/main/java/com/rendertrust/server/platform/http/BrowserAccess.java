package com.rendertrust.server.platform.http;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.cors.CorsService;
import com.rendertrust.server.platform.config.CorsConfig;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * CORS for browsers on the one port: REST/JSON and gRPC-Web (the gRPC-Web content types send a
 * preflight too) from the configured origins only. A preflight from any other origin is refused
 * without any {@code Access-Control-Allow-*} header. The lists match gateway-envoy's
 * {@code envoy.yaml} cors policy, so a browser sees the same edge with or without Envoy.
 */
public final class BrowserAccess {

  /** Request headers a browser client may send: auth, JSON/gRPC-Web bodies, idempotency, deadlines. */
  public static final List<String> ALLOWED_HEADERS = List.of("authorization", "content-type", "x-api-key",
      "idempotency-key", "x-request-id", "x-grpc-web", "x-user-agent", "grpc-timeout");
  /** Response headers a browser client may read: gRPC-Web's status trailers-in-headers and the REST extras. */
  public static final List<String> EXPOSED_HEADERS = List.of("grpc-status", "grpc-message",
      "grpc-status-details-bin", "retry-after", "x-request-id", "x-http-status");
  public static final List<HttpMethod> ALLOWED_METHODS =
      List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS);
  public static final Duration MAX_AGE = Duration.ofDays(1);

  private BrowserAccess() {
  }

  /** The decorator for every route of the edge; none (preflights answer 405 as before) when CORS is off. */
  static Function<? super HttpService, ? extends HttpService> decorator(CorsConfig cors) {
    // Bearer tokens and API keys travel in headers, never cookies: no credentials mode.
    return CorsService.builder(cors::allows)
        .allowRequestMethods(ALLOWED_METHODS)
        .allowRequestHeaders(ALLOWED_HEADERS)
        .exposeHeaders(EXPOSED_HEADERS)
        .maxAge(MAX_AGE)
        .newDecorator();
  }
}
