package com.rendertrust.server.platform.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Tracing is off without an OTLP endpoint, and with one exports over OTLP/HTTP to a real receiver. */
class TracingTest {

  @Test
  void withoutAnEndpointTracingIsOff() {
    assertThat(Tracing.fromEnvironment(Map.of(), "rendertrust-server")).isEmpty();
    assertThat(Tracing.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " "), "rendertrust-server")).isEmpty();
  }

  @Test
  void withAnEndpointSpansReachAnOtlpHttpReceiverAsProtobuf() throws Exception {
    List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
    List<String> contentTypes = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/v1/traces", exchange -> {
      try (exchange; InputStream body = exchange.getRequestBody()) {
        contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
        received.add(ExportTraceServiceRequest.parseFrom(body.readAllBytes()));
        byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer);
        }
      }
    });
    receiver.start();
    try {
      OpenTelemetrySdk sdk = Tracing.fromEnvironment(Map.of(
          "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress().getPort(),
          "PATH", "/usr/bin"), "rendertrust-server").orElseThrow();
      Span span = sdk.getTracer("test").spanBuilder("a call").startSpan();
      String traceparent = Tracing.traceparent(Context.root().with(span));
      span.end();
      sdk.close(); // flushes

      assertThat(received).isNotEmpty();
      assertThat(contentTypes).allMatch(type -> type.startsWith("application/x-protobuf"));
      var resource = received.get(0).getResourceSpans(0);
      assertThat(resource.getResource().getAttributesList()).anyMatch(attribute ->
          attribute.getKey().equals("service.name") && attribute.getValue().getStringValue().equals("rendertrust-server"));
      var exported = resource.getScopeSpans(0).getSpans(0);
      assertThat(exported.getName()).isEqualTo("a call");
      assertThat(traceparent).startsWith("00-" + HexFormat.of().formatHex(exported.getTraceId().toByteArray()) + "-"
          + HexFormat.of().formatHex(exported.getSpanId().toByteArray()) + "-");
      assertThat(Tracing.fromTraceparent(traceparent)).isNotEqualTo(Context.root());
      assertThat(Tracing.fromTraceparent("garbage")).isEqualTo(Context.root());
    } finally {
      receiver.stop(0);
    }
  }
}
