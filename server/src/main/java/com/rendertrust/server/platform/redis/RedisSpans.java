package com.rendertrust.server.platform.redis;

import io.lettuce.core.protocol.CompleteableCommand;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.tracing.TraceContext;
import io.lettuce.core.tracing.TraceContextProvider;
import io.lettuce.core.tracing.Tracer;
import io.lettuce.core.tracing.TracerProvider;
import io.lettuce.core.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Lettuce's tracing hook, recording one CLIENT span per Redis command ({@code redis <COMMAND>},
 * {@code db.system=redis}) with OpenTelemetry. Lettuce asks for the trace context on the thread
 * that issues the command (so the span is a child of the RPC, job or transaction span current
 * there); the span opens on its I/O thread when the command is written and ends when it completes
 * (an error reply or a failure marks it ERROR).
 * Command arguments are never recorded: they hold keys and values such as token ids.
 */
final class RedisSpans implements Tracing {

  private final io.opentelemetry.api.trace.Tracer tracer;

  private RedisSpans(io.opentelemetry.api.trace.Tracer tracer) {
    this.tracer = tracer;
  }

  /** Lettuce's tracing for {@code openTelemetry}; disabled (no wrapping of commands) when that is the no-op one. */
  static Tracing of(OpenTelemetry openTelemetry) {
    return openTelemetry == OpenTelemetry.noop() ? Tracing.disabled()
        : new RedisSpans(openTelemetry.getTracer("com.rendertrust.server.redis"));
  }

  /** The OpenTelemetry context current where a command was issued. */
  private record CallerContext(Context context) implements TraceContext {
  }

  private record Address(SocketAddress address) implements Endpoint {
  }

  @Override
  public TracerProvider getTracerProvider() {
    return () -> new Tracer() {
      @Override
      public Tracer.Span nextSpan() {
        return new CommandSpan(Context.current());
      }

      @Override
      public Tracer.Span nextSpan(TraceContext traceContext) {
        return new CommandSpan(traceContext instanceof CallerContext caller ? caller.context() : Context.current());
      }
    };
  }

  @Override
  public TraceContextProvider initialTraceContextProvider() {
    return () -> new CallerContext(Context.current());
  }

  @Override
  public boolean isEnabled() {
    return true;
  }

  @Override
  public boolean includeCommandArgsInSpanTags() {
    return false;
  }

  @Override
  public Endpoint createEndpoint(SocketAddress socketAddress) {
    return new Address(socketAddress);
  }

  /** Lettuce names the span and sets its endpoint before {@link #start}; the OpenTelemetry span begins there. */
  private final class CommandSpan extends Tracer.Span {

    private final Context parent;
    private String name = "redis";
    private SocketAddress remote;
    private volatile Span span = Span.getInvalid();

    CommandSpan(Context parent) {
      this.parent = parent;
    }

    @Override
    public Tracer.Span start(RedisCommand<?, ?, ?> command) {
      var builder = tracer.spanBuilder("redis " + name).setParent(parent).setSpanKind(SpanKind.CLIENT)
          .setAttribute("db.system", "redis")
          .setAttribute("db.operation", name);
      if (remote instanceof InetSocketAddress inet) {
        builder.setAttribute("server.address", inet.getHostString()).setAttribute("server.port", (long) inet.getPort());
      }
      Span started = builder.startSpan();
      span = started;
      // the command's completion (answer, error reply, timeout, cancel) ends the span
      if (command instanceof CompleteableCommand<?> completeable) {
        completeable.onComplete((output, failure) -> {
          String errorReply = command.getOutput() == null ? null : command.getOutput().getError();
          if (errorReply != null) {
            started.setStatus(StatusCode.ERROR, errorReply);
          } else if (failure != null) {
            error(failure);
          }
          started.end();
        });
      }
      return this;
    }

    @Override
    public Tracer.Span name(String name) {
      this.name = name;
      return this;
    }

    @Override
    public Tracer.Span annotate(String value) {
      span.addEvent(value);
      return this;
    }

    @Override
    public Tracer.Span tag(String key, String value) {
      span.setAttribute(key, value);
      return this;
    }

    @Override
    public Tracer.Span error(Throwable throwable) {
      span.setStatus(StatusCode.ERROR, String.valueOf(throwable.getMessage()));
      span.recordException(throwable);
      return this;
    }

    @Override
    public Tracer.Span remoteEndpoint(Endpoint endpoint) {
      if (endpoint instanceof Address address) {
        remote = address.address();
      }
      return this;
    }

    @Override
    public void finish() {
      span.end();
    }
  }
}
