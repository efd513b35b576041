package com.rendertrust.agent.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A job the server dispatched, in the agent's own terms (plugins never see protobuf). One dispatch
 * runs one task of a job; a node may hold several tasks of the same job at once, so running work
 * is keyed by {@code assignmentId}, never by {@code jobId}.
 *
 * @param assignmentId the fencing token every report about this job echoes; unique per dispatch
 * @param payloadRef an input reference (http(s) URLs are downloaded; other schemes are handed to the plugin as is); empty if none
 * @param payloadJson the inline JSON input, {@code {}} when the dispatch had none
 * @param uploadUrl the presigned PUT URL for a single-output result
 * @param deadline when the result must be reported; afterwards the server requeues the job
 * @param maxRuntime the job type's maximum run time; zero when the server sent none
 * @param taskId the task this dispatch runs; empty from servers that predate tasks
 * @param frames the task's frames (render jobs); empty when the dispatch names none
 * @param outputs one presigned PUT per output (frame); empty for single-output jobs, which use {@code uploadUrl}
 * @param inputUrl a presigned GET of the job's input that the server issued (trusted, unlike the
 *     user-chosen {@code payloadRef}); empty if none
 * @param inputSha256 the SHA-256 (lowercase hex) the downloaded input must have; empty if unknown
 * @param traceparent the W3C trace context reports about the job carry (the dispatch's, then the
 *     agent's execution span's); empty when not traced
 */
public record JobSpec(
    String jobId,
    String assignmentId,
    String jobType,
    String payloadRef,
    String payloadJson,
    String uploadUrl,
    Optional<Instant> deadline,
    Duration maxRuntime,
    String taskId,
    Optional<FrameRange> frames,
    List<OutputTarget> outputs,
    String inputUrl,
    String inputSha256,
    String traceparent) {

  public JobSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(assignmentId, "assignmentId");
    Objects.requireNonNull(jobType, "jobType");
    Objects.requireNonNull(payloadRef, "payloadRef");
    Objects.requireNonNull(payloadJson, "payloadJson");
    Objects.requireNonNull(uploadUrl, "uploadUrl");
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(frames, "frames");
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(inputUrl, "inputUrl");
    Objects.requireNonNull(inputSha256, "inputSha256");
    Objects.requireNonNull(traceparent, "traceparent");
  }

  /** A job whose reports are not traced. */
  public JobSpec(String jobId, String assignmentId, String jobType, String payloadRef, String payloadJson,
      String uploadUrl, Optional<Instant> deadline, Duration maxRuntime, String taskId, Optional<FrameRange> frames,
      List<OutputTarget> outputs, String inputUrl, String inputSha256) {
    this(jobId, assignmentId, jobType, payloadRef, payloadJson, uploadUrl, deadline, maxRuntime, taskId, frames,
        outputs, inputUrl, inputSha256, "");
  }

  /** The same job, its reports carrying {@code context} ("00-trace-span-flags"). */
  public JobSpec withTraceparent(String context) {
    return new JobSpec(jobId, assignmentId, jobType, payloadRef, payloadJson, uploadUrl, deadline, maxRuntime, taskId,
        frames, outputs, inputUrl, inputSha256, context);
  }

  /** A single-task, single-output job (every job type but a framed render). */
  public JobSpec(String jobId, String assignmentId, String jobType, String payloadRef, String payloadJson,
      String uploadUrl, Optional<Instant> deadline, Duration maxRuntime) {
    this(jobId, assignmentId, jobType, payloadRef, payloadJson, uploadUrl, deadline, maxRuntime, "", Optional.empty(),
        List.of(), "", "");
  }

  /** Where the output of {@code frame} goes, if the dispatch named a target for it. */
  public Optional<OutputTarget> outputFor(int frame) {
    return outputs.stream().filter(target -> target.frame() == frame).findFirst();
  }

  /** "job X" or "job X task Y", for log lines. */
  public String label() {
    return taskId.isEmpty() ? "job " + jobId : "job " + jobId + " task " + taskId;
  }
}
