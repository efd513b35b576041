package com.rendertrust.agent.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * The log line format, chosen by {@code RT_LOG_FORMAT} (logback.xml passes it as {@code format}):
 * {@code json} writes one JSON object per line ({@code timestamp, level, logger, thread, message},
 * {@code trace_id} and {@code span_id} of the current span, MDC entries, {@code exception});
 * anything else the configured {@code pattern}, followed by {@code trace_id=… span_id=…} while a
 * span is current. A copy of the server's encoder (the agent depends on no server code).
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {

  private String format = "text";
  private String pattern = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n";
  private PatternLayout layout;

  public void setFormat(String format) {
    this.format = format == null ? "text" : format.strip();
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  boolean json() {
    return format.equalsIgnoreCase("json");
  }

  @Override
  public void start() {
    layout = new PatternLayout();
    layout.setContext(getContext());
    layout.setPattern(pattern);
    layout.start();
    super.start();
  }

  @Override
  public void stop() {
    layout.stop();
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    SpanContext span = Span.current().getSpanContext();
    return (json() ? json(event, span) : text(event, span)).getBytes(StandardCharsets.UTF_8);
  }

  private String text(ILoggingEvent event, SpanContext span) {
    String line = layout.doLayout(event);
    if (!span.isValid()) {
      return line;
    }
    int end = line.endsWith("\n") ? line.length() - 1 : line.length();
    int firstBreak = line.indexOf('\n');
    int at = firstBreak >= 0 && firstBreak < end ? firstBreak : end;
    return line.substring(0, at) + " trace_id=" + span.getTraceId() + " span_id=" + span.getSpanId() + line.substring(at);
  }

  private static String json(ILoggingEvent event, SpanContext span) {
    StringBuilder out = new StringBuilder(256).append('{');
    field(out, "timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    field(out, "level", event.getLevel().toString());
    field(out, "logger", event.getLoggerName());
    field(out, "thread", event.getThreadName());
    field(out, "message", event.getFormattedMessage());
    if (span.isValid()) {
      field(out, "trace_id", span.getTraceId());
      field(out, "span_id", span.getSpanId());
    }
    for (Map.Entry<String, String> entry : event.getMDCPropertyMap().entrySet()) {
      field(out, entry.getKey(), entry.getValue());
    }
    if (event.getThrowableProxy() != null) {
      field(out, "exception", ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
    out.setLength(out.length() - 1);
    return out.append("}\n").toString();
  }

  private static void field(StringBuilder out, String name, String value) {
    quote(out, name);
    out.append(':');
    quote(out, value == null ? "" : value);
    out.append(',');
  }

  private static void quote(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
