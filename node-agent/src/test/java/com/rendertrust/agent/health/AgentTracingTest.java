package com.rendertrust.agent.health;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.rendertrust.agent.jobs.JobExecutor;
import com.rendertrust.agent.logging.LogEncoder;
import com.rendertrust.agent.telemetry.AgentTracing;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.JobResult;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The agent exports its own spans over OTLP/HTTP to a real receiver (a small HTTP server here that
 * decodes the protobuf ExportTraceServiceRequest): the run of a job is a child of the dispatch's
 * W3C context that came inside the Connect stream, its upload a child of the run, and the result
 * carries the run's context back to the server. The job's log lines carry the run's trace and span ids.
 */
class AgentTracingTest extends RunningAgentTestBase {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String DISPATCH_SPAN = "00f067aa0ba902b7";

  private HttpServer receiver;
  private final List<Span> received = new CopyOnWriteArrayList<>();
  private final List<String> serviceNames = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private OutputStreamAppender<ILoggingEvent> appender;

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/v1/traces", exchange -> {
      try (exchange; InputStream body = exchange.getRequestBody()) {
        ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body.readAllBytes());
        for (ResourceSpans resource : request.getResourceSpansList()) {
          resource.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
              .forEach(a -> serviceNames.add(a.getValue().getStringValue()));
          for (ScopeSpans scope : resource.getScopeSpansList()) {
            received.addAll(scope.getSpansList());
          }
        }
        byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer);
        }
      }
    });
    receiver.start();
    captureLog();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(JobExecutor.class).detachAppender(appender);
    appender.stop();
  }

  @Test
  void withoutAnOtlpEndpointTheAgentExportsNothing() {
    assertThat(AgentTracing.sdkFromEnvironment(Map.of())).isEmpty();
    assertThat(AgentTracing.sdkFromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " "))).isEmpty();
    assertThat(AgentTracing.sdkFromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318",
        "OTEL_SDK_DISABLED", "true"))).isEmpty();
  }

  @Test
  void theRunOfADispatchedJobAndItsUploadReachAnOtlpReceiverInTheDispatchsTrace() {
    fixture.environment().put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress().getPort());
    fixture.environment().put("OTEL_BSP_SCHEDULE_DELAY", "100");
    fixture.environment().put("OTEL_TRACES_SAMPLER", "parentbased_always_on");
    try {
      fixture.start();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("t1", "echo", "{\"message\":\"traced\"}", store.uploadUrl("t1"))
        .setTraceparent("00-" + TRACE_ID + "-" + DISPATCH_SPAN + "-01").build());
    JobResult result = awaitResult(stream, "t1");
    assertCompleted(result);
    assertThat(result.getTraceparent()).startsWith("00-" + TRACE_ID + "-").doesNotContain(DISPATCH_SPAN);

    Await.until(() -> received.stream().anyMatch(span -> span.getName().equals("run echo"))
        && received.stream().anyMatch(span -> span.getName().startsWith("upload ")), WAIT, "spans at the receiver");
    Span run = received.stream().filter(span -> span.getName().equals("run echo")).findFirst().orElseThrow();
    assertThat(hex(run.getTraceId().toByteArray())).isEqualTo(TRACE_ID);
    assertThat(hex(run.getParentSpanId().toByteArray())).isEqualTo(DISPATCH_SPAN);
    assertThat(result.getTraceparent()).contains(hex(run.getSpanId().toByteArray()));
    Span upload = received.stream().filter(span -> span.getName().startsWith("upload ")).findFirst().orElseThrow();
    assertThat(hex(upload.getParentSpanId().toByteArray())).isEqualTo(hex(run.getSpanId().toByteArray()));
    assertThat(serviceNames).contains("rendertrust-agent");
    assertThat(log.toString(StandardCharsets.UTF_8)).as("the job's log lines carry the run's ids")
        .contains("t1: completed in").contains(" trace_id=" + TRACE_ID + " span_id=" + hex(run.getSpanId().toByteArray()));
  }

  /** The agent's log lines as its text encoder writes them (a span's ids appended while one is current). */
  private void captureLog() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(log);
    appender.start();
    context.getLogger(JobExecutor.class).addAppender(appender);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
