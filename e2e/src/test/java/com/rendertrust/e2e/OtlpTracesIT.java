package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.e2e.DevClient.User;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Traces as an operator collects them: the server ({@code --dev}) and the agent (the standalone
 * jar), each a JVM of its own, configured only by {@code OTEL_EXPORTER_OTLP_ENDPOINT}, export
 * over OTLP/HTTP to a real receiver in this test (an HTTP server decoding the protobuf
 * ExportTraceServiceRequest). One echo job submitted with the creator's {@code traceparent}
 * shows one trace across both services, and the agent's JSON log lines carry its ids.
 */
class OtlpTracesIT {

  private static final String CREATOR_TRACE = "5af7651916cd43dd8448eb211c80319c";
  private static final String CREATOR_SPAN = "c7ad6b7169203331";

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private HttpServer receiver;
  /** Each received span with the service.name of its resource. */
  private final List<Received> received = new CopyOnWriteArrayList<>();

  private record Received(String service, Span span) {
    String traceId() {
      return hex(span.getTraceId().toByteArray());
    }

    String spanId() {
      return hex(span.getSpanId().toByteArray());
    }

    String parentId() {
      return hex(span.getParentSpanId().toByteArray());
    }
  }

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/v1/traces", exchange -> {
      try (exchange; InputStream body = exchange.getRequestBody()) {
        ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body.readAllBytes());
        for (ResourceSpans resource : request.getResourceSpansList()) {
          String service = serviceName(resource.getResource());
          for (ScopeSpans scope : resource.getScopeSpansList()) {
            scope.getSpansList().forEach(span -> received.add(new Received(service, span)));
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
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    if (processes != null) {
      processes.close();
    }
    receiver.stop(0);
  }

  @Test
  void theServerAndTheAgentProcessesExportOneJobsTraceToAnOtlpReceiver() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    Path runDir = settings.workDir().resolve("otlp-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    Map<String, String> otel = Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress().getPort(),
        "OTEL_BSP_SCHEDULE_DELAY", "200");
    ServerProcess server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), otel);
    server.start();
    DevClient client = new DevClient(new Rest(server.baseUrl()), null, null);
    User operator = client.registerUser("operator");
    User creator = client.registerUser("creator");
    Path agentLog = runDir.resolve("traced-node.log");
    AgentProcess agent = new AgentProcess(settings, processes, "traced-node", runDir.resolve("traced-node"), agentLog);
    agent.configure(Map.of("slots", 1));
    agent.environment(Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", otel.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "OTEL_BSP_SCHEDULE_DELAY", "200",
        "RT_LOG_FORMAT", "json"));
    agent.register(server.baseUrl(), List.of("echo"), operator.accessToken());
    agent.run();

    JsonNode submitted = client.rest().post("/api/v1/jobs/dispatch", creator.accessToken(),
        Map.of("job_type", "echo", "payload", Map.of("message", "traced")),
        Map.of("traceparent", "00-" + CREATOR_TRACE + "-" + CREATOR_SPAN + "-01")).expect(200, "dispatch");
    String jobId = submitted.path("job_id").asText();
    client.awaitCompleted(creator, jobId);

    Await.until("the job's spans from both services", Duration.ofSeconds(30), () -> Optional.of(true)
        .filter(yes -> named("rendertrust-server", "settle job").isPresent()
            && named("rendertrust-agent", "run echo").isPresent()
            && received.stream().anyMatch(r -> r.service().equals("rendertrust-agent") && r.span().getName().startsWith("upload "))),
        () -> received.stream().map(r -> r.service() + ":" + r.span().getName()).toList().toString());

    Received rest = named("rendertrust-server", "rendertrust.v1.JobService/DispatchJob").orElseThrow();
    assertThat(rest.parentId()).as("the REST call under the creator's span").isEqualTo(CREATOR_SPAN);
    Received dispatch = named("rendertrust-server", "dispatch echo").orElseThrow();
    Received run = named("rendertrust-agent", "run echo").orElseThrow();
    assertThat(run.parentId()).as("the agent's run under the server's dispatch").isEqualTo(dispatch.spanId());
    Received upload = received.stream().filter(r -> r.service().equals("rendertrust-agent")
        && r.span().getName().startsWith("upload ")).findFirst().orElseThrow();
    assertThat(upload.parentId()).isEqualTo(run.spanId());
    Received settle = named("rendertrust-server", "settle job").orElseThrow();
    assertThat(settle.parentId()).as("the settlement under the agent's run").isEqualTo(run.spanId());

    List<String> agentLines = new ArrayList<>();
    for (String line : Files.readAllLines(agentLog, StandardCharsets.UTF_8)) {
      if (line.startsWith("{") && line.contains("\"trace_id\":\"" + CREATOR_TRACE + "\"")) {
        agentLines.add(line);
      }
    }
    assertThat(agentLines).as("the agent's JSON log lines of the job").isNotEmpty()
        .anyMatch(line -> line.contains("completed in") && line.contains("\"span_id\":\"" + run.spanId() + "\""));
  }

  /** The span of the creator's trace named {@code name} from {@code service}. */
  private Optional<Received> named(String service, String name) {
    return received.stream().filter(r -> r.service().equals(service) && r.span().getName().equals(name)
        && r.traceId().equals(CREATOR_TRACE)).findFirst();
  }

  private static String serviceName(Resource resource) {
    return resource.getAttributesList().stream().filter(attribute -> attribute.getKey().equals("service.name"))
        .map(attribute -> attribute.getValue().getStringValue()).findFirst().orElse("");
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
