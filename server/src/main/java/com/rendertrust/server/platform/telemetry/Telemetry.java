package com.rendertrust.server.platform.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;

/**
 * Where the features record what an operator watches: the replica's one meter registry
 * (Prometheus, {@code /metrics}) and its OpenTelemetry (traces; a no-op one when
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} is unset). Built once by the composition root and passed
 * down; {@link #none()} for parts built without it (tests, benchmarks).
 */
public record Telemetry(MeterRegistry meters, OpenTelemetry openTelemetry) {

  public static final String INSTRUMENTATION = "com.rendertrust.server";

  /** Meters that nobody scrapes and traces that go nowhere. */
  public static Telemetry none() {
    return new Telemetry(new SimpleMeterRegistry(), OpenTelemetry.noop());
  }

  public Tracer tracer() {
    return openTelemetry.getTracer(INSTRUMENTATION);
  }
}
