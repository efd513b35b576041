package com.rendertrust.server.nodes;

import com.rendertrust.api.v1.JobResult;
import com.rendertrust.server.jobs.ReportOutcome;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/**
 * The writes of a stream's accepts and results, made on workers while the stream goes on: the
 * reports of all streams share batches ({@code StartBatch}, {@code CompletionBatch}), and a node
 * starting or finishing many tasks at once has them written together. Per assignment, a later
 * frame waits for an accept in flight ({@link #awaitAccept}), so a task's start is written before
 * its progress, outputs and result. At most {@value #MAX_IN_FLIGHT} accepts and as many results
 * are in flight per stream; a node sending more waits, without the session's lock (a write in
 * flight takes it to record its outcome).
 */
final class StreamWrites {

  static final int MAX_IN_FLIGHT = 64;

  /** What the session does with a written report (each takes the session's lock). */
  interface Session {

    /** {@code knownBefore}: whether the session knew the assignment when its accept arrived. */
    void accepted(UUID jobId, UUID assignmentId, boolean knownBefore, ReportOutcome outcome);

    void resultWritten(UUID jobId, UUID assignmentId, ReportOutcome outcome);

    /** A write failed: the stream ends, as for a frame that failed; the node reports again on its next one. */
    void failed(RuntimeException e);
  }

  private final UUID nodeId;
  private final StreamContext context;
  private final Session session;
  private final Semaphore accepts = new Semaphore(MAX_IN_FLIGHT);
  private final Semaphore results = new Semaphore(MAX_IN_FLIGHT);
  /** By assignment: whether its accept was written (false: it failed, and the stream ended). */
  private final Map<UUID, CompletableFuture<Boolean>> acceptsInFlight = new ConcurrentHashMap<>();

  StreamWrites(UUID nodeId, StreamContext context, Session session) {
    this.nodeId = nodeId;
    this.context = context;
    this.session = session;
  }

  /** Writes the node's start of {@code assignmentId}; call without the session's lock. */
  void accept(UUID jobId, UUID assignmentId, boolean knownBefore) {
    accepts.acquireUninterruptibly();
    CompletableFuture<Boolean> written = new CompletableFuture<>();
    acceptsInFlight.put(assignmentId, written); // a repeated accept: later frames wait for the last one
    try {
      context.workers().execute(() -> {
        boolean ok = false;
        try {
          session.accepted(jobId, assignmentId, knownBefore, context.lifecycle().accepted(nodeId, jobId, assignmentId));
          ok = true;
        } catch (RuntimeException e) {
          session.failed(e);
        } finally {
          acceptEnded(assignmentId, written, ok);
        }
      });
    } catch (RuntimeException e) {
      acceptEnded(assignmentId, written, false);
      throw e;
    }
  }

  private void acceptEnded(UUID assignmentId, CompletableFuture<Boolean> written, boolean ok) {
    acceptsInFlight.remove(assignmentId, written);
    written.complete(ok);
    accepts.release();
  }

  /** Waits for the accept of {@code assignmentId} in flight, if any; false when it failed to be written. */
  boolean awaitAccept(String assignmentId) {
    return Ids.parse(assignmentId).map(this::awaitAccept).orElse(true);
  }

  private boolean awaitAccept(UUID assignmentId) {
    CompletableFuture<Boolean> written = acceptsInFlight.get(assignmentId);
    return written == null || written.join();
  }

  /**
   * Writes the result of {@code assignmentId}, after its task's accept if that is still in flight,
   * once {@code recordSent} (the session's bookkeeping) answers true; false: nothing is written.
   * Call without the session's lock: it waits for a permit while too many results are in flight.
   */
  void result(UUID jobId, UUID assignmentId, JobResult result, boolean completed, BooleanSupplier recordSent) {
    results.acquireUninterruptibly();
    boolean writing = false;
    try {
      if (recordSent.getAsBoolean()) {
        context.workers().execute(() -> writeResult(jobId, assignmentId, result, completed));
        writing = true;
      }
    } finally {
      if (!writing) {
        results.release();
      }
    }
  }

  private void writeResult(UUID jobId, UUID assignmentId, JobResult result, boolean completed) {
    if (!awaitAccept(assignmentId)) {
      results.release(); // the accept failed and ended the stream: the node reports the task again
      return;
    }
    ReportOutcome outcome;
    try {
      outcome = finished(jobId, assignmentId, result, completed);
    } catch (RuntimeException e) {
      results.release();
      session.failed(e);
      return;
    }
    results.release();
    session.resultWritten(jobId, assignmentId, outcome);
  }

  /**
   * Under the node's execution span (when it traces): the task's end and, in the same commit, the
   * job's settlement (capture or release) join the job's trace.
   */
  private ReportOutcome finished(UUID jobId, UUID assignmentId, JobResult result, boolean completed) {
    Span span = context.tracer().spanBuilder("settle job")
        .setParent(result.getTraceparent().isEmpty() ? Context.current() : Tracing.fromTraceparent(result.getTraceparent()))
        .setAttribute("job.id", jobId.toString())
        .setAttribute("job.outcome", completed ? "COMPLETED" : "FAILED")
        .startSpan();
    try (Scope scope = span.makeCurrent()) {
      ReportOutcome outcome = context.lifecycle().finished(nodeId, jobId, assignmentId, completed,
          result.getErrorMessage(), result.getErrorCode());
      span.setAttribute("job.report", outcome.name());
      return outcome;
    } finally {
      span.end();
    }
  }
}
