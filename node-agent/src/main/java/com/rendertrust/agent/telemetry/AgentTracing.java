package com.rendertrust.agent.telemetry;

import com.rendertrust.agent.jobs.JobReports;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.jobs.OutputReport;
import com.rendertrust.agent.plugins.ErrorCode;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's spans: one per job it runs ({@code run <type>}, child of the server's dispatch span
 * whose W3C context came inside the Connect stream), one per upload under it, and the job's
 * result carries the run span's context back, so the server's settlement joins the same trace.
 * The run span is current on the job's thread while the job runs: log lines carry its ids.
 * Exported over OTLP when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set (the standard {@code OTEL_*}
 * variables; service name {@code rendertrust-agent}); otherwise a no-op.
 */
public final class AgentTracing {

  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  private final Tracer tracer;
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  /**
   * A job's run span, current on the job's thread from its acceptance to its result (so the
   * agent's log lines about the job carry its trace and span ids).
   */
  private record Running(Span span, Scope scope, Thread thread) {
    void end() {
      if (Thread.currentThread() == thread) {
        scope.close();
      }
      span.end();
    }
  }

  public AgentTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("com.rendertrust.agent");
  }

  /** The SDK when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set in {@code env} (close it at exit), else empty. */
  public static Optional<OpenTelemetrySdk> sdkFromEnvironment(Map<String, String> env) {
    if (env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank() || "true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))) {
      return Optional.empty();
    }
    Map<String, String> properties = new HashMap<>(Map.of(
        "otel.exporter.otlp.protocol", "http/protobuf",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none",
        "otel.service.name", "rendertrust-agent"));
    env.forEach((name, value) -> {
      if (name.startsWith("OTEL_")) {
        properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    return Optional.of(AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> properties).build()
        .getOpenTelemetrySdk());
  }

  /** {@code reports}, with a span for each job from its start to its result (which carries the span's context). */
  public JobReports traced(JobReports reports) {
    return new JobReports() {
      @Override
      public void accepted(JobSpec job) {
        Span span = tracer.spanBuilder("run " + job.jobType()).setSpanKind(SpanKind.CONSUMER)
            .setParent(context(job.traceparent()))
            .setAttribute("job.id", job.jobId())
            .setAttribute("job.assignment_id", job.assignmentId())
            .setAttribute("job.task_id", job.taskId())
            .startSpan();
        Running earlier = running.put(job.assignmentId(), new Running(span, span.makeCurrent(), Thread.currentThread()));
        if (earlier != null) {
          earlier.end();
        }
        reports.accepted(job);
      }

      @Override
      public void progress(JobSpec job, int percent, String message, int framesDone) {
        reports.progress(job, percent, message, framesDone);
      }

      @Override
      public void outputReady(JobSpec job, OutputReport output) {
        reports.outputReady(job, output);
      }

      @Override
      public void completed(JobSpec job, String resultRef, Duration runtime) {
        reports.completed(end(job, null), resultRef, runtime);
      }

      @Override
      public void failed(JobSpec job, ErrorCode code, String errorMessage, Duration runtime) {
        reports.failed(end(job, code.name() + ": " + errorMessage), code, errorMessage, runtime);
      }

      @Override
      public void forget(JobSpec job) {
        Running run = running.remove(job.assignmentId());
        if (run != null) {
          run.span().setAttribute("job.forgotten", true);
          run.end();
        }
        reports.forget(job);
      }
    };
  }

  /** Ends the job's run span; the job as reported then carries that span's context. */
  private JobSpec end(JobSpec job, String error) {
    Running run = running.remove(job.assignmentId());
    if (run == null) {
      return job;
    }
    if (error != null) {
      run.span().setStatus(StatusCode.ERROR, error);
    }
    run.end();
    return job.withTraceparent(traceparent(run.span().getSpanContext()));
  }

  /** A span for one upload of {@code job}, under its run span; end it when the upload is over. */
  public Span upload(JobSpec job, String what) {
    Running parent = running.get(job.assignmentId());
    Context context = parent == null ? context(job.traceparent()) : Context.root().with(parent.span());
    return tracer.spanBuilder("upload " + what).setSpanKind(SpanKind.CLIENT).setParent(context)
        .setAttribute("job.id", job.jobId()).startSpan();
  }

  static String traceparent(SpanContext span) {
    return span.isValid() ? "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex() : "";
  }

  static Context context(String traceparent) {
    Matcher matcher = TRACEPARENT.matcher(traceparent == null ? "" : traceparent.strip());
    if (!matcher.matches()) {
      return Context.root();
    }
    SpanContext remote = SpanContext.createFromRemoteParent(matcher.group(1), matcher.group(2),
        TraceFlags.fromHex(matcher.group(3), 0), TraceState.getDefault());
    return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
  }
}
