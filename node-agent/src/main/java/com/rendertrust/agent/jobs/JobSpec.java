package com.rendertrust.agent.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A job the server dispatched, in the agent's own terms (plugins never see protobuf).
 *
 * @param assignmentId the fencing token every report about this job echoes
 * @param payloadRef an input reference (http(s) URLs are downloaded; other schemes are handed to the plugin as is); empty if none
 * @param payloadJson the inline JSON input, {@code {}} when the dispatch had none
 * @param uploadUrl the presigned PUT URL for the result
 * @param deadline when the result must be reported; afterwards the server requeues the job
 * @param maxRuntime the job type's maximum run time; zero when the server sent none
 * @param inputUrl a presigned GET of the job's input issued by the server (trusted: no address
 *     check); empty if none
 * @param inputSha256 the SHA-256 (lowercase hex) the downloaded input must have; empty if unknown
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
    String inputUrl,
    String inputSha256) {

  /** A job without a server-issued input URL. */
  public JobSpec(String jobId, String assignmentId, String jobType, String payloadRef, String payloadJson,
      String uploadUrl, Optional<Instant> deadline, Duration maxRuntime) {
    this(jobId, assignmentId, jobType, payloadRef, payloadJson, uploadUrl, deadline, maxRuntime, "", "");
  }

  public JobSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(assignmentId, "assignmentId");
    Objects.requireNonNull(jobType, "jobType");
    Objects.requireNonNull(payloadRef, "payloadRef");
    Objects.requireNonNull(payloadJson, "payloadJson");
    Objects.requireNonNull(uploadUrl, "uploadUrl");
    Objects.requireNonNull(inputUrl, "inputUrl");
    Objects.requireNonNull(inputSha256, "inputSha256");
  }
}
