package com.rendertrust.server.platform.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import org.jooq.TransactionContext;
import org.jooq.TransactionListener;

/**
 * A CLIENT span for each database transaction jOOQ runs ({@code db.transaction}, PostgreSQL),
 * current while the transaction runs; ended with ERROR when it rolls back.
 */
public final class TransactionSpans implements TransactionListener {

  private static final String SPAN = "rt.span";
  private static final String SCOPE = "rt.scope";

  private final Tracer tracer;

  public TransactionSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public void beginStart(TransactionContext ctx) {
    Span span = tracer.spanBuilder("db.transaction").setSpanKind(SpanKind.CLIENT)
        .setAttribute("db.system", "postgresql").startSpan();
    ctx.data(SPAN, span);
    ctx.data(SCOPE, span.makeCurrent());
  }

  @Override
  public void beginEnd(TransactionContext ctx) {
  }

  @Override
  public void commitStart(TransactionContext ctx) {
  }

  @Override
  public void commitEnd(TransactionContext ctx) {
    end(ctx, false);
  }

  @Override
  public void rollbackStart(TransactionContext ctx) {
  }

  @Override
  public void rollbackEnd(TransactionContext ctx) {
    end(ctx, true);
  }

  private static void end(TransactionContext ctx, boolean rolledBack) {
    if (ctx.data(SCOPE) instanceof Scope scope) {
      scope.close();
    }
    if (ctx.data(SPAN) instanceof Span span) {
      if (rolledBack) {
        span.setStatus(StatusCode.ERROR, "rolled back");
      }
      span.end();
    }
  }
}
