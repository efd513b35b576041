package com.rendertrust.server.nodes;

import com.rendertrust.api.v1.CancelJob;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Drain;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.OutputReady;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.api.v1.RunningJob;
import com.rendertrust.api.v1.Welcome;
import com.rendertrust.server.jobs.ActiveAssignment;
import com.rendertrust.server.jobs.OutputReport;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.StructJson;
import com.rendertrust.server.platform.telemetry.Tracing;
import com.rendertrust.server.storage.ResultStore;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Connect stream's frames to and from domain values, the server's counterpart of the agent's
 * {@code link/Frames}: what a node's hello, heartbeat, result and output reports say, and the
 * welcome, dispatch, cancel and drain it gets. Pure mapping, but for {@link #deliverable}, which
 * fails a job whose dispatch cannot be built; {@link NodeSession} does the rest.
 */
final class Frames {

  private static final Logger log = LoggerFactory.getLogger(Frames.class);

  private Frames() {
  }

  /** The job and assignment a frame names; empty when either is not a UUID. */
  record Ref(UUID jobId, UUID assignmentId) {

    static Optional<Ref> of(String jobId, String assignmentId) {
      Optional<UUID> job = Ids.parse(jobId);
      Optional<UUID> assignment = Ids.parse(assignmentId);
      return job.isPresent() && assignment.isPresent()
          ? Optional.of(new Ref(job.get(), assignment.get())) : Optional.empty();
    }
  }

  // ---- node -> server ----

  /** The tasks the node still runs from an earlier stream, assignment id to job id (malformed ids left out). */
  static Map<UUID, UUID> running(Hello hello) {
    Map<UUID, UUID> running = new LinkedHashMap<>();
    for (RunningJob job : hello.getRunningList()) {
      Ref.of(job.getJobId(), job.getAssignmentId()).ifPresent(ref -> running.put(ref.assignmentId(), ref.jobId()));
    }
    return running;
  }

  /** The hello as domain values, with {@code running} as {@link #running} read it. */
  static NodeHello hello(Hello hello, Map<UUID, UUID> running) {
    Map<UUID, UUID> runningByJob = new LinkedHashMap<>();
    running.forEach((assignmentId, jobId) -> runningByJob.put(jobId, assignmentId));
    return new NodeHello(hello.getCapabilitiesList(), hello.getSlots(), runningByJob, hello.getAgentVersion(),
        hello.hasSignature() ? Optional.of(hello.getSignature()) : Optional.empty());
  }

  /** The heartbeat's metadata as a JSON object, if it carries any (INVALID_ARGUMENT when JSON cannot carry it). */
  static Optional<String> metadata(NodeHeartbeat heartbeat) {
    return heartbeat.hasMetadata()
        ? Optional.of(StructJson.print(heartbeat.getMetadata(), Reason.INVALID_ARGUMENT, "metadata"))
        : Optional.empty();
  }

  /** True for COMPLETED, false for FAILED; empty for any other outcome (the result is discarded). */
  static Optional<Boolean> completed(JobResult result) {
    return switch (result.getOutcome()) {
      case JOB_OUTCOME_COMPLETED -> Optional.of(true);
      case JOB_OUTCOME_FAILED -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  static OutputReport output(OutputReady output) {
    return new OutputReport(output.getFrame(), output.getName(), output.getSizeBytes(), output.getSha256(),
        output.getContentType());
  }

  // ---- server -> node ----

  static ConnectResponse welcome(UUID nodeId, JobsConfig config) {
    return ConnectResponse.newBuilder().setWelcome(Welcome.newBuilder()
            .setNodeId(nodeId.toString())
            .setHeartbeatIntervalSeconds(seconds(config.heartbeatInterval()))
            .setHeartbeatTimeoutSeconds(seconds(config.heartbeatTimeout())))
        .build();
  }

  static ConnectResponse cancel(UUID jobId, UUID assignmentId, String reason) {
    return ConnectResponse.newBuilder().setCancel(CancelJob.newBuilder()
        .setJobId(jobId.toString()).setAssignmentId(assignmentId.toString()).setReason(reason)).build();
  }

  static ConnectResponse drain(String reason, Duration grace) {
    return ConnectResponse.newBuilder().setDrain(Drain.newBuilder().setReason(reason)
        .setGraceSeconds(seconds(grace))).build();
  }

  /**
   * The dispatch of {@code assignment} for {@code nodeId}, or empty when it cannot be built (its
   * stored payload is beyond what a node message can carry): that job fails, with its hold
   * released, instead of failing every sync of the node and blocking its slot.
   */
  static Optional<ConnectResponse> deliverable(StreamContext context, UUID nodeId, ActiveAssignment assignment) {
    try {
      return Optional.of(dispatch(context, assignment));
    } catch (RuntimeException e) {
      log.warn("job {} cannot be dispatched to node {}; failing it", assignment.jobId(), nodeId, e);
      context.lifecycle().undeliverable(nodeId, assignment.jobId(), assignment.assignmentId(),
          "the job could not be delivered to a node: its payload cannot be encoded");
      return Optional.empty();
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
    assignment.payloadJson().ifPresent(json -> dispatch.setPayload(StructJson.parse(json)));
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
}
