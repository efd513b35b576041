package com.rendertrust.server.platform.http;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.grpc.GrpcJsonMarshaller;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingOptions;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingQueryParamMatchRule;
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

  public record Settings(int port, long maxRequestBytes, Duration requestTimeout, Duration shutdownGrace,
      Set<String> rawBodyPaths) {
  }

  public static HttpEdge start(Settings settings, List<ServerServiceDefinition> services,
      PrometheusMeterRegistry metrics) {
    return start(settings, services, metrics, List.of());
  }

  /** As above, plus plain HTTP routes (e.g. {@code /.well-known/jwks.json}) on the same port. */
  public static HttpEdge start(Settings settings, List<ServerServiceDefinition> services,
      PrometheusMeterRegistry metrics, List<PlainRoute> plainRoutes) {
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

    com.linecorp.armeria.server.ServerBuilder builder = Server.builder();
    plainRoutes.forEach(route -> builder.service(route.path(), route.service()));
    Server server = builder
        .http(settings.port())
        .maxRequestLength(settings.maxRequestBytes())
        .requestTimeout(settings.requestTimeout())
        .blockingTaskExecutor(handlers, true)
        .gracefulShutdownTimeout(Duration.ofMillis(200), settings.shutdownGrace())
        .errorHandler(new JsonErrorHandler())
        .service(grpc.build())
        .service("/metrics", (ctx, req) -> HttpResponse.of(
            MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), metrics.scrape()))
        .decorator(new RestResponseDecorator(settings.rawBodyPaths()))
        // Every error already answers {"detail"} through our handlers; no periodic duplicate report.
        .unloggedExceptionsReportInterval(Duration.ZERO)
        .build();
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
