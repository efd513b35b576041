package com.rendertrust.agent.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The agent's encoder (a copy of the server's): RT_LOG_FORMAT=json writes one JSON object a line
 * carrying the current span's ids; text keeps its pattern.
 */
class LogEncoderTest {

  private static final SpanContext SPAN = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
      TraceFlags.getSampled(), TraceState.getDefault());

  @Test
  void jsonLinesCarryTheTraceAndSpanIdsAndEscapeTheMessage() throws Exception {
    LogEncoder encoder = encoder("json");
    String line;
    try (Scope scope = Span.wrap(SPAN).makeCurrent()) {
      line = new String(encoder.encode(event("job \"42\" done\nnext")), StandardCharsets.UTF_8);
    }
    assertThat(line).endsWith("}\n").doesNotContain("\nnext");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("logger").asText()).isEqualTo("com.rendertrust.agent.jobs.JobExecutor");
    assertThat(json.get("message").asText()).isEqualTo("job \"42\" done\nnext");
    assertThat(json.get("trace_id").asText()).isEqualTo(SPAN.getTraceId());
    assertThat(json.get("span_id").asText()).isEqualTo(SPAN.getSpanId());
    assertThat(json.get("timestamp").asText()).endsWith("Z");

    JsonNode untraced = new ObjectMapper().readTree(encoder.encode(event("no span")));
    assertThat(untraced.has("trace_id")).isFalse();
  }

  @Test
  void textLinesKeepThePatternAndAddTheIdsWhileASpanIsCurrent() {
    LogEncoder encoder = encoder("text");
    assertThat(new String(encoder.encode(event("plain")), StandardCharsets.UTF_8))
        .startsWith("INFO ").endsWith("JobExecutor - plain\n");
    try (Scope scope = Span.wrap(SPAN).makeCurrent()) {
      assertThat(new String(encoder.encode(event("traced")), StandardCharsets.UTF_8))
          .endsWith("- traced trace_id=" + SPAN.getTraceId() + " span_id=" + SPAN.getSpanId() + "\n");
    }
  }

  private static LogEncoder encoder(String format) {
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context());
    encoder.setFormat(format);
    encoder.setPattern("%-5level %logger{20} - %msg%n");
    encoder.start();
    return encoder;
  }

  private static LoggerContext context() {
    return (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
  }

  private static LoggingEvent event(String message) {
    return new LoggingEvent(LogEncoderTest.class.getName(), context().getLogger("com.rendertrust.agent.jobs.JobExecutor"),
        Level.INFO, message, null, null);
  }
}
