package com.rendertrust.server.platform.http;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.grpc.GrpcJsonMarshaller;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingOptions;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingQueryParamMatchRule;
import com.rendertrust.server.platform.config.CorsConfig;
import io.grpc.ServerServiceDefinition;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The one port of a server replica: gRPC (h2c), gRPC-Web, and REST/JSON at the documented paths,
 * transcoded in-process from the contracts' {@code google.api.http} rules, plus {@code /metrics}.
 */
public final class HttpEdge implements AutoCloseable {

  /** Virtual threads are cheap; the cap only bounds runaway concurrency, the DB pool bounds the rest. */
  private static final int HANDLER_THREADS = 512;

  private final Server server;

  private HttpEdge(Server server) {
    this.server = server;
  }

  /**
   * Node agents sit behind NATs that drop idle mappings after a few minutes: the server pings
   * idle connections (and drops those whose peer stopped answering), and accepts agents' own
   * keepalive pings at any rate (Armeria has no "too_many_pings" enforcement) as activity that
   * keeps a connection open between streams.
   */
  private static final Duration PING_INTERVAL = Duration.ofSeconds(30);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * @param rawBodyPaths REST paths whose RPC takes the raw body (any content type)
   * @param longLivedGrpcPaths gRPC streaming methods ({@code /package.Service/Method}) that may stay
   *     open indefinitely: no request timeout and no cap on the total bytes (each message stays capped)
   * @param extraRoutes plain HTTP services served next to the gRPC/REST ones
   */
  public record Settings(int port, long maxRequestBytes, Duration requestTimeout, Duration shutdownGrace,
      Set<String> rawBodyPaths, Set<String> longLivedGrpcPaths, List<Route> extraRoutes,
      List<StreamRoute> streamRoutes, CorsConfig cors) {

    public Settings(int port, long maxRequestBytes, Duration requestTimeout, Duration shutdownGrace,
        Set<String> rawBodyPaths) {
      this(port, maxRequestBytes, requestTimeout, shutdownGrace, rawBodyPaths, Set.of(), List.of());
    }

    /** Without stream routes and without browser (CORS) access. */
    public Settings(int port, long maxRequestBytes, Duration requestTimeout, Duration shutdownGrace,
        Set<String> rawBodyPaths, Set<String> longLivedGrpcPaths, List<Route> extraRoutes) {
      this(port, maxRequestBytes, requestTimeout, shutdownGrace, rawBodyPaths, longLivedGrpcPaths, extraRoutes,
          List.of(), CorsConfig.none());
    }
  }

  /**
   * A plain HTTP service that takes over a transcoded REST path when the request accepts
   * {@code mediaType} (e.g. Server-Sent Events for {@code text/event-stream}); other requests of
   * the path stay with the transcoded RPC. Served without a request timeout.
   */
  public record StreamRoute(java.util.regex.Pattern path, MediaType mediaType, HttpService service) {

    boolean matches(com.linecorp.armeria.server.ServiceRequestContext ctx,
        com.linecorp.armeria.common.HttpRequest req) {
      if (!path.matcher(ctx.path()).matches()) {
        return false;
      }
      String accept = req.headers().get(com.linecorp.armeria.common.HttpHeaderNames.ACCEPT);
      return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains(mediaType.nameWithoutParameters());
    }
  }

  /** A plain HTTP service under {@code pathPrefix} with limits of its own. */
  public record Route(String pathPrefix, HttpService service, long maxRequestBytes, Duration requestTimeout) {
  }

  public static HttpEdge start(Settings settings, List<ServerServiceDefinition> services,
      PrometheusMeterRegistry metrics) {
    return start(settings, services, metrics, List.of());
  }

  /** As above, plus plain HTTP routes (e.g. {@code /.well-known/jwks.json}) on the same port. */
  public static HttpEdge start(Settings settings, List<ServerServiceDefinition> services,
      PrometheusMeterRegistry metrics, List<PlainRoute> plainRoutes) {
    return start(settings, services, metrics, plainRoutes, java.util.Optional.empty());
  }

  /** As above, plus a route of last resort (the web app) for every path outside the reserved ones. */
  public static HttpEdge start(Settings settings, List<ServerServiceDefinition> services,
      PrometheusMeterRegistry metrics, List<PlainRoute> plainRoutes, java.util.Optional<FallbackRoute> fallback) {
    GrpcServiceBuilder grpc = GrpcService.builder()
        .enableUnframedRequests(false)
        .supportedSerializationFormats(com.linecorp.armeria.common.grpc.GrpcSerializationFormats.values())
        .useBlockingTaskExecutor(true)
        .maxRequestMessageLength((int) settings.maxRequestBytes())
        // REST output uses the contract's snake_case names and prints unset scalars, like Envoy
        // with preserve_proto_field_names and always_print_primitive_fields.
        .jsonMarshallerFactory(descriptor -> GrpcJsonMarshaller.builder()
            .jsonMarshallerCustomizer(json -> json
                .preservingProtoFieldNames(true)
                .includingDefaultValueFields(true))
            .build(descriptor))
        .enableHttpJsonTranscoding(HttpJsonTranscodingOptions.builder()
            .queryParamMatchRules(HttpJsonTranscodingQueryParamMatchRule.ORIGINAL_FIELD)
            .errorHandler(new RestErrorHandler())
            .build());
    services.forEach(grpc::addService);

    ScheduledThreadPoolExecutor handlers =
        new ScheduledThreadPoolExecutor(HANDLER_THREADS, Thread.ofVirtual().name("rt-handler-", 0).factory());

    Set<String> longLived = Set.copyOf(settings.longLivedGrpcPaths());
    ServerBuilder builder = Server.builder();
    plainRoutes.forEach(route -> builder.service(route.path(), route.service()));
    builder
        .http(settings.port())
        .maxRequestLength(settings.maxRequestBytes())
        .requestTimeout(settings.requestTimeout())
        .pingInterval(PING_INTERVAL)
        .idleTimeout(IDLE_TIMEOUT, true)
        .blockingTaskExecutor(handlers, true)
        .gracefulShutdownTimeout(Duration.ofMillis(200), settings.shutdownGrace())
        .errorHandler(new JsonErrorHandler())
        .service(grpc.build(),
            delegate -> delegate.decorate(new StrictJsonBodies(JsonBodyRoutes.of(services), settings.rawBodyPaths())),
            delegate -> delegate.decorate(new RestResponseDecorator(settings.rawBodyPaths())),
            delegate -> delegate.decorate((service, ctx, req) -> {
              if (longLived.contains(ctx.path())) {
                ctx.clearRequestTimeout();
                ctx.setMaxRequestLength(0);
              }
              return service.serve(ctx, req);
            }),
            delegate -> delegate.decorate((service, ctx, req) -> {
              for (StreamRoute route : settings.streamRoutes()) {
                if (route.matches(ctx, req)) {
                  ctx.clearRequestTimeout();
                  return route.service().serve(ctx, req);
                }
              }
              return service.serve(ctx, req);
            }))
        .service("/metrics", (ctx, req) -> HttpResponse.of(
            MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), metrics.scrape()))
        // Every error already answers {"detail"} through our handlers; no periodic duplicate report.
        .unloggedExceptionsReportInterval(Duration.ZERO);
    for (Route route : settings.extraRoutes()) {
      builder.route().pathPrefix(route.pathPrefix())
          .maxRequestLength(route.maxRequestBytes())
          .requestTimeout(route.requestTimeout())
          .build(route.service());
    }
    fallback.ifPresent(route -> {
      var binding = builder.route().pathPrefix("/");
      FallbackRoute.exclusions(services, plainRoutes, settings.extraRoutes()).forEach(binding::exclude);
      binding.build(route.service());
    });
    if (settings.cors().enabled()) {
      builder.decorator(BrowserAccess.decorator(settings.cors()));
    }
    Server server = builder.build();
    server.start().join();
    return new HttpEdge(server);
  }

  public int port() {
    return server.activeLocalPort();
  }

  /** Stops accepting connections, lets in-flight calls finish within the grace period, then stops. */
  @Override
  public void close() {
    server.stop().join();
  }
}
