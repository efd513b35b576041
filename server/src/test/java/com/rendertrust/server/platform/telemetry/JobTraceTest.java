package com.rendertrust.server.platform.telemetry;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One trace for one job, recorded by the SDK's in-memory exporter: the creator's call (its W3C
 * traceparent header) → the server's span for the REST call and its transaction → the dispatch
 * span, whose context travels inside the Connect stream → the node's execution (here the test
 * node, which parents its span on the dispatch's traceparent and sends its own back with the
 * result) → the settlement, under the node's span.
 */
class JobTraceTest {

  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  private static OpenTelemetrySdk openTelemetry;
  private static TestServer server;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    openTelemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    server = TestServer.traced(JobsTesting.config(JobsTesting.fastJobs()), openTelemetry);
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
    openTelemetry.close();
  }

  @Test
  void aJobsTraceRunsFromTheCreatorThroughTheServerAndTheNodeToItsSettlement() {
    UUID creator = UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    ledger.deposit(creator, 1_000_000);
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "traced-node", List.of("render"), userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 1);
    stream.welcome();

    Tracer outside = openTelemetry.getTracer("test");
    Span creatorCall = outside.spanBuilder("creator submits").setSpanKind(SpanKind.CLIENT).startSpan();
    String traceId = creatorCall.getSpanContext().getTraceId();
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"render\",\"payload_ref\":\"s3://scenes/castle.blend\",\"payload\":{\"frames\":[1,2]}}",
        "Authorization", userBearer(server, creator), "traceparent", Tracing.traceparent(Context.root().with(creatorCall)));
    creatorCall.end();
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);

    JobDispatch dispatch = stream.dispatch();
    assertThat(dispatch.getTraceparent()).startsWith("00-" + traceId + "-");
    // the node: its execution is a child of the dispatch, and its result carries its own context
    Span execution = outside.spanBuilder("agent runs render").setParent(Tracing.fromTraceparent(dispatch.getTraceparent()))
        .startSpan();
    stream.accept(dispatch);
    assertThat(stream.upload(dispatch, new byte[] {1, 2, 3})).isEqualTo(200);
    stream.send(ConnectRequest.newBuilder().setResult(JobResult.newBuilder()
        .setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId())
        .setOutcome(JobOutcome.JOB_OUTCOME_COMPLETED).setRuntimeMs(5)
        .setTraceparent(Tracing.traceparent(Context.root().with(execution)))).build());
    execution.end();
    eventually("captured", () -> ledger.holdStatus(UUID.fromString(dispatch.getJobId())) == HoldStatus.CAPTURED);
    ledger.checkInvariants();

    eventually("the settlement span ended", () -> named("settle job").isPresent());
    Map<String, SpanData> byId = SPANS.getFinishedSpanItems().stream()
        .filter(span -> span.getTraceId().equals(traceId))
        .collect(Collectors.toMap(SpanData::getSpanId, Function.identity(), (a, b) -> a));
    SpanData rest = only(byId, "rendertrust.v1.JobService/DispatchJob");
    assertThat(rest.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(rest.getParentSpanId()).isEqualTo(creatorCall.getSpanContext().getSpanId());
    assertThat(byId.values()).anyMatch(span -> span.getName().equals("db.transaction")
        && span.getParentSpanId().equals(rest.getSpanId()));
    SpanData dispatched = only(byId, "dispatch render");
    assertThat(ancestors(byId, dispatched)).contains(rest.getSpanId());
    assertThat(dispatch.getTraceparent()).contains(dispatched.getSpanId());
    SpanData run = only(byId, "agent runs render");
    assertThat(run.getParentSpanId()).isEqualTo(dispatched.getSpanId());
    SpanData settle = only(byId, "settle job");
    assertThat(settle.getParentSpanId()).isEqualTo(run.getSpanId());
    assertThat(settle.getAttributes().asMap().values()).contains(dispatch.getJobId());
    assertThat(byId.values()).as("the settlement's commit").anyMatch(span -> span.getName().equals("db.transaction")
        && span.getParentSpanId().equals(settle.getSpanId()));
  }

  private static Optional<SpanData> named(String name) {
    return SPANS.getFinishedSpanItems().stream().filter(span -> span.getName().equals(name)).findFirst();
  }

  private static SpanData only(Map<String, SpanData> spans, String name) {
    List<SpanData> found = spans.values().stream().filter(span -> span.getName().equals(name)).toList();
    assertThat(found).as(name + " in " + spans.values().stream().map(SpanData::getName).toList()).hasSize(1);
    return found.get(0);
  }

  private static List<String> ancestors(Map<String, SpanData> spans, SpanData span) {
    List<String> chain = new java.util.ArrayList<>();
    SpanData at = span;
    while (at != null && at.getParentSpanContext().isValid()) {
      chain.add(at.getParentSpanId());
      at = spans.get(at.getParentSpanId());
    }
    return chain;
  }
}
