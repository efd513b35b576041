package com.rendertrust.server.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A task a node currently holds (DISPATCHED or RUNNING), with what the node needs to run it.
 * {@code status} is the task's; {@code frames} is empty for a job without frames.
 */
public record ActiveAssignment(
    UUID jobId,
    UUID assignmentId,
    JobStatus status,
    String jobType,
    Optional<String> payloadRef,
    Optional<String> payloadJson,
    Instant deadline,
    UUID userId,
    Optional<UUID> inputId,
    UUID taskId,
    Optional<TaskFrames> frames,
    Optional<String> traceParent) {

  /** The frames of a render task and the format its outputs are written in. */
  public record TaskFrames(int start, int end, int step, OutputFormat format) {

    public java.util.List<Integer> list() {
      java.util.List<Integer> frames = new java.util.ArrayList<>();
      for (int frame = start; frame <= end; frame += step) {
        frames.add(frame);
      }
      return frames;
    }
  }
}
