package com.rendertrust.server.nodes;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.server.jobs.ActiveAssignment;
import com.rendertrust.server.platform.telemetry.Tracing;
import com.rendertrust.server.storage.ResultStore;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * Builds the dispatch a node gets for a task it holds: what to run, with which input (a presigned
 * GET the server issues), where each output goes (one presigned PUT per frame, or the single
 * result URL) and by when: a mapping from the domain's {@link ActiveAssignment} to the wire (a task
 * whose dispatch cannot be built is failed instead, see {@link #deliverable}).
 */
final class DispatchFrames {

  private DispatchFrames() {
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DispatchFrames.class);

  /**
   * The dispatch of {@code assignment} to {@code nodeId}, or empty when it cannot be built (its
   * stored payload is beyond what a node message can carry): that job fails, with its hold
   * released, instead of failing every sync of the node and blocking its slot.
   */
  static java.util.Optional<ConnectResponse> deliverable(StreamContext context, java.util.UUID nodeId,
      ActiveAssignment assignment) {
    try {
      return java.util.Optional.of(dispatch(context, assignment));
    } catch (RuntimeException e) {
      log.warn("job {} cannot be dispatched to node {}; failing it", assignment.jobId(), nodeId, e);
      context.lifecycle().undeliverable(nodeId, assignment.jobId(), assignment.assignmentId(),
          "the job could not be delivered to a node: its payload cannot be encoded");
      return java.util.Optional.empty();
    }
  }

  /** The dispatch of {@code assignment}; throws when its stored payload cannot be encoded. */
  static ConnectResponse dispatch(StreamContext context, ActiveAssignment assignment) {
    JobDispatch.Builder dispatch = JobDispatch.newBuilder()
        .setJobId(assignment.jobId().toString())
        .setAssignmentId(assignment.assignmentId().toString())
        .setJobType(assignment.jobType())
        .setPayloadRef(assignment.payloadRef().orElse(""))
        .setUploadUrl(context.results()
            .uploadUrl(ResultStore.resultKey(assignment.jobId(), assignment.assignmentId()), assignment.deadline())
            .toString())
        .setDeadline(assignment.deadline().truncatedTo(ChronoUnit.SECONDS).toString())
        .setMaxRuntimeSeconds(seconds(context.config().maxRuntimes().forType(assignment.jobType())))
        .setTaskId(assignment.taskId().toString());
    assignment.payloadJson().ifPresent(json -> dispatch.setPayload(struct(json)));
    context.inputs().forDispatch(assignment.userId(), assignment.inputId(), assignment.payloadRef()).ifPresent(input -> {
      dispatch.setInputUrl(input.url().toString());
      input.sha256().ifPresent(dispatch::setInputSha256);
    });
    assignment.frames().ifPresent(frames -> {
      dispatch.setFrameStart(frames.start()).setFrameEnd(frames.end()).setFrameStep(frames.step());
      for (int frame : frames.list()) {
        String name = frames.format().fileName(frame);
        dispatch.addOutputs(OutputTarget.newBuilder()
            .setFrame(frame)
            .setName(name)
            .setUploadUrl(context.results().uploadUrl(
                ResultStore.outputKey(assignment.jobId(), assignment.assignmentId(), name), assignment.deadline())
                .toString())
            .putUploadHeaders("content-type", frames.format().contentType()));
      }
    });
    // the job's trace (the submitting call's, stored with the job) continues at the node
    Span span = context.tracer().spanBuilder("dispatch " + assignment.jobType())
        .setParent(Tracing.fromTraceparent(assignment.traceParent().orElse("")))
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute("job.id", assignment.jobId().toString())
        .setAttribute("job.task_id", assignment.taskId().toString())
        .setAttribute("job.assignment_id", assignment.assignmentId().toString())
        .startSpan();
    dispatch.setTraceparent(Tracing.traceparent(Context.root().with(span)));
    span.end();
    return ConnectResponse.newBuilder().setDispatch(dispatch).build();
  }

  /** Whole seconds, rounded up, at least 1: what the contract's int32 second fields carry. */
  static int seconds(Duration duration) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (duration.toMillis() + 999) / 1000));
  }

  private static Struct struct(String json) {
    Struct.Builder builder = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored payload is not a JSON object", e);
    }
    return builder.build();
  }
}
