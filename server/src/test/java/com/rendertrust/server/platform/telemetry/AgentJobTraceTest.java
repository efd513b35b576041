package com.rendertrust.server.platform.telemetry;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.AgentMain;
import com.rendertrust.agent.cli.CommandLine;
import com.rendertrust.agent.logging.LogEncoder;
import com.rendertrust.agent.run.NodeAgent;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * One job's trace across the real server and the real node agent (its composition root, its
 * command plugin, its upload to the server's store), each with an OpenTelemetry SDK of its own
 * and an in-memory exporter: the creator's call → the server's REST span → its dispatch span,
 * whose context travels inside the Connect stream → the agent's run and upload spans → the
 * server's settlement span. The agent's log lines about the job carry the trace and span ids.
 */
class AgentJobTraceTest {

  private static final String JOB_TYPE = "inference";

  @TempDir Path home;
  private final InMemorySpanExporter serverSpans = InMemorySpanExporter.create();
  private final InMemorySpanExporter agentSpans = InMemorySpanExporter.create();
  private final ByteArrayOutputStream agentLog = new ByteArrayOutputStream();
  private OpenTelemetrySdk serverTelemetry;
  private OpenTelemetrySdk agentTelemetry;
  private OutputStreamAppender<ILoggingEvent> agentLogAppender;
  private TestServer server;
  private NodeAgent agent;

  @BeforeEach
  void start() {
    serverTelemetry = sdk("rendertrust-server", serverSpans);
    agentTelemetry = sdk("rendertrust-agent", agentSpans);
    server = TestServer.traced(JobsTesting.config(JobsTesting.fastJobs()), serverTelemetry);
    captureAgentLogAsJson();
  }

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.shutdown(Duration.ofSeconds(1));
    }
    server.close();
    loggerContext().getLogger("com.rendertrust.agent").detachAppender(agentLogAppender);
    agentLogAppender.stop();
    agentTelemetry.close();
    serverTelemetry.close();
  }

  @Test
  void oneTraceRunsFromTheCreatorThroughTheServerAndTheRealAgentToTheSettlement() throws Exception {
    JobLedger ledger = JobLedger.of(server);
    UUID creator = UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    ledger.deposit(creator, 1_000_000);
    agent = startAgent(operator);

    Span creatorCall = serverTelemetry.getTracer("creator").spanBuilder("creator submits").setSpanKind(SpanKind.CLIENT)
        .startSpan();
    String traceId = creatorCall.getSpanContext().getTraceId();
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"" + JOB_TYPE + "\",\"payload\":{\"prompt\":\"a castle\"}}",
        "Authorization", userBearer(server, creator), "traceparent", Tracing.traceparent(Context.root().with(creatorCall)));
    creatorCall.end();
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    UUID jobId = UUID.fromString(Json.parse(submitted.body()).get("job_id").asText());

    eventually("the job captured", () -> ledger.holdStatus(jobId) == HoldStatus.CAPTURED);
    ledger.checkInvariants();
    eventually("the settlement span ended", () -> serverSpans.getFinishedSpanItems().stream()
        .anyMatch(span -> span.getName().equals("settle job")));

    List<SpanData> serverSide = inTrace(serverSpans, traceId);
    List<SpanData> agentSide = inTrace(agentSpans, traceId);
    SpanData rest = only(serverSide, "rendertrust.v1.JobService/DispatchJob");
    assertThat(rest.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(rest.getParentSpanId()).isEqualTo(creatorCall.getSpanContext().getSpanId());
    SpanData dispatch = only(serverSide, "dispatch " + JOB_TYPE);
    assertThat(ancestors(serverSide, dispatch)).contains(rest.getSpanId());

    assertThat(serverSide).as("the Redis commands the job's calls sent, in " + names(serverSide))
        .anyMatch(span -> span.getName().startsWith("redis ") && span.getKind() == SpanKind.CLIENT);
    SpanData run = only(agentSide, "run " + JOB_TYPE);
    assertThat(run.getParentSpanId()).as("the agent's run under the server's dispatch").isEqualTo(dispatch.getSpanId());
    assertThat(run.getAttributes().get(AttributeKey.stringKey("job.id"))).isEqualTo(jobId.toString());
    assertThat(run.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("rendertrust-agent");
    SpanData upload = agentSide.stream().filter(span -> span.getName().startsWith("upload ")).findFirst()
        .orElseThrow(() -> new AssertionError("no upload span in " + names(agentSide)));
    assertThat(upload.getParentSpanId()).as("the upload under the run").isEqualTo(run.getSpanId());
    assertThat(upload.getKind()).isEqualTo(SpanKind.CLIENT);

    SpanData settle = only(serverSide, "settle job");
    assertThat(settle.getParentSpanId()).as("the settlement under the agent's run").isEqualTo(run.getSpanId());
    assertThat(settle.getAttributes().get(AttributeKey.stringKey("job.id"))).isEqualTo(jobId.toString());
    assertThat(serverSide).as("the settlement's commit").anyMatch(span -> span.getName().equals("db.transaction")
        && span.getParentSpanId().equals(settle.getSpanId()));

    List<JsonNode> completedLines = agentLogLines().stream()
        .filter(line -> line.path("logger").asText().equals("com.rendertrust.agent.jobs.JobExecutor")
            && line.path("message").asText().contains("completed in")).toList();
    assertThat(completedLines).as(agentLog.toString(StandardCharsets.UTF_8)).hasSize(1);
    assertThat(completedLines.get(0).path("trace_id").asText()).isEqualTo(traceId);
    assertThat(completedLines.get(0).path("span_id").asText()).isEqualTo(run.getSpanId());
  }

  private NodeAgent startAgent(UUID operator) throws Exception {
    Path configDir = home.resolve("agent");
    Files.createDirectories(configDir);
    // a command plugin: the agent runs a real process and uploads what it wrote
    Files.writeString(configDir.resolve("agent.json"),
        "{\"slots\": 1, \"commands\": {\"" + JOB_TYPE + "\": [\"cp\", \"{payload}\", \"{output}\"]}}");
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.keySet().removeIf(name -> name.startsWith("RT_AGENT_") || name.startsWith("OTEL_"));
    environment.put("RT_AGENT_BLENDER", "off");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentMain main = new AgentMain(environment, home, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8), Clock.systemUTC());
    int registered = main.execute("register", "--server", server.uri("").toString(), "--name", "traced-agent",
        "--capabilities", JOB_TYPE, "--operator-token", userBearer(server, operator).substring("Bearer ".length()),
        "--config-dir", configDir.toString());
    assertThat(registered).as(out.toString(StandardCharsets.UTF_8)).isZero();
    NodeAgent started = main.startAgent(main.loadConfig(CommandLine.parse("run", "--config-dir", configDir.toString(),
        "--health-port", "0")), agentTelemetry);
    eventually("the agent connected", () -> started.connection().connected());
    return started;
  }

  private static OpenTelemetrySdk sdk(String serviceName, InMemorySpanExporter exporter) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setResource(Resource.getDefault().merge(Resource.create(
                io.opentelemetry.api.common.Attributes.of(AttributeKey.stringKey("service.name"), serviceName))))
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /** The agent's log lines as its {@code RT_LOG_FORMAT=json} encoder writes them. */
  private void captureAgentLogAsJson() {
    LoggerContext context = loggerContext();
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context);
    encoder.setFormat("json");
    encoder.start();
    agentLogAppender = new OutputStreamAppender<>();
    agentLogAppender.setContext(context);
    agentLogAppender.setEncoder(encoder);
    agentLogAppender.setOutputStream(agentLog);
    agentLogAppender.start();
    context.getLogger("com.rendertrust.agent").addAppender(agentLogAppender);
  }

  private List<JsonNode> agentLogLines() {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : agentLog.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(Json.parse(line));
      }
    }
    return lines;
  }

  private static LoggerContext loggerContext() {
    return (LoggerContext) LoggerFactory.getILoggerFactory();
  }

  private static List<SpanData> inTrace(InMemorySpanExporter exporter, String traceId) {
    return exporter.getFinishedSpanItems().stream().filter(span -> span.getTraceId().equals(traceId)).toList();
  }

  private static SpanData only(List<SpanData> spans, String name) {
    List<SpanData> found = spans.stream().filter(span -> span.getName().equals(name)).toList();
    assertThat(found).as(name + " in " + names(spans)).hasSize(1);
    return found.get(0);
  }

  private static List<String> names(List<SpanData> spans) {
    return spans.stream().map(SpanData::getName).toList();
  }

  private static List<String> ancestors(List<SpanData> spans, SpanData span) {
    Map<String, SpanData> byId = new HashMap<>();
    spans.forEach(each -> byId.put(each.getSpanId(), each));
    List<String> chain = new ArrayList<>();
    SpanData at = span;
    while (at != null && at.getParentSpanContext().isValid()) {
      chain.add(at.getParentSpanId());
      at = byId.get(at.getParentSpanId());
    }
    return chain;
  }
}
