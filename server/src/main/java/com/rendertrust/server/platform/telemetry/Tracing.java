package com.rendertrust.server.platform.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenTelemetry from the standard {@code OTEL_*} variables: off (a no-op) unless
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set; then the SDK's autoconfiguration with OTLP over
 * HTTP/protobuf by default ({@code OTEL_EXPORTER_OTLP_PROTOCOL} may say otherwise), W3C trace
 * context, and {@code service.name} {@code defaultServiceName} unless {@code OTEL_SERVICE_NAME} says.
 * Also the W3C {@code traceparent} text that carries a span's context inside messages (the Connect stream).
 */
public final class Tracing {

  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  private Tracing() {
  }

  /** The SDK when tracing is configured (close it on shutdown: it flushes), else empty. */
  public static Optional<OpenTelemetrySdk> fromEnvironment(Map<String, String> env, String defaultServiceName) {
    String endpoint = env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "");
    if (endpoint.isBlank() || "true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))) {
      return Optional.empty();
    }
    Map<String, String> properties = new HashMap<>(Map.of(
        "otel.exporter.otlp.protocol", "http/protobuf",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none",
        "otel.service.name", defaultServiceName));
    env.forEach((name, value) -> {
      if (name.startsWith("OTEL_")) {
        properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    // not registered as the global instance: whoever needs it is handed it
    return Optional.of(AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> properties)
        .build()
        .getOpenTelemetrySdk());
  }

  /** {@code 00-<trace id>-<span id>-<flags>} of {@code context}'s span; empty when it has none. */
  public static String traceparent(Context context) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    if (!span.isValid()) {
      return "";
    }
    return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
  }

  /** {@code Context.root()} with the remote span of {@code traceparent}; the root context when it is malformed or empty. */
  public static Context fromTraceparent(String traceparent) {
    Matcher matcher = TRACEPARENT.matcher(traceparent == null ? "" : traceparent.strip());
    if (!matcher.matches()) {
      return Context.root();
    }
    SpanContext remote = SpanContext.createFromRemoteParent(matcher.group(1), matcher.group(2),
        TraceFlags.fromHex(matcher.group(3), 0), TraceState.getDefault());
    return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
  }

  /** OpenTelemetry of an SDK, or the no-op one. */
  public static OpenTelemetry orNoop(Optional<OpenTelemetrySdk> sdk) {
    return sdk.<OpenTelemetry>map(s -> s).orElse(OpenTelemetry.noop());
  }
}
