package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.agent.jobs.JobSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a plugin may use for one job: the job, its private working directory, its input,
 * where to write the output (or where to hand each output of a task as soon as it is written),
 * progress reporting and the stop flag.
 */
public final class JobContext {

  /** Receives throttled progress reports. */
  public interface ProgressSink {
    void progress(int percent, String message, int framesDone);
  }

  /** Takes each finished output of a task (one frame) for delivery to its own target. */
  public interface OutputSink {
    /** Queues the file for upload and returns at once; a failed delivery fails the job. */
    void outputWritten(int frame, Path file, String contentType) throws PluginFailure;

    /** Why an output could not be delivered, once one could not. */
    default Optional<PluginFailure> deliveryFailure() {
      return Optional.empty();
    }
  }

  private static final OutputSink NO_OUTPUT_TARGETS = (frame, file, contentType) -> {
    throw new PluginFailure("this dispatch has no output targets: the result goes to its upload_url");
  };

  private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

  private final JobSpec job;
  private final Path workDir;
  private final Optional<Path> inputFile;
  private final Duration timeLimit;
  private final StopSignal stop;
  private final ProgressSink progressSink;
  private final OutputSink outputSink;
  private final ObjectMapper json = new ObjectMapper();
  private int lastPercent = -1;
  private int lastFramesDone;
  private long lastProgressNanos;

  /** The sink of a dispatch whose result goes to its one upload_url. */
  public static OutputSink noOutputTargets() {
    return NO_OUTPUT_TARGETS;
  }

  public JobContext(JobSpec job, Path workDir, Optional<Path> inputFile, Duration timeLimit, StopSignal stop,
      ProgressSink progressSink) {
    this(job, workDir, inputFile, timeLimit, stop, progressSink, NO_OUTPUT_TARGETS);
  }

  public JobContext(JobSpec job, Path workDir, Optional<Path> inputFile, Duration timeLimit, StopSignal stop,
      ProgressSink progressSink, OutputSink outputSink) {
    this.outputSink = outputSink;
    this.job = job;
    this.workDir = workDir;
    this.inputFile = inputFile;
    this.timeLimit = timeLimit;
    this.stop = stop;
    this.progressSink = progressSink;
  }

  public JobSpec job() {
    return job;
  }

  /** This job's own directory; removed after the job unless the operator keeps work dirs. */
  public Path workDir() {
    return workDir;
  }

  /** The inline payload as a file ({@code input.json} in the work dir, {@code {}} when none). */
  public Path payloadFile() {
    return workDir.resolve("input.json");
  }

  /** The downloaded input: the server-issued {@code input_url}, else an http(s) {@code payload_ref}. */
  public Optional<Path> inputFile() {
    return inputFile;
  }

  /** The file the plugin writes its result to, unless it returns another one. */
  public Path outputFile() {
    return workDir.resolve("output");
  }

  public Duration timeLimit() {
    return timeLimit;
  }

  /** The payload parsed; a JSON object (empty when the dispatch carried none). */
  public JsonNode payload() throws PluginFailure {
    try {
      return json.readTree(job.payloadJson());
    } catch (Exception e) {
      throw new PluginFailure("the job payload is not valid JSON");
    }
  }

  /**
   * Reports progress (0..100). Cheap to call often: reports are sent when the percentage changes,
   * at most twice a second (100 always goes out).
   */
  public synchronized void progress(int percent, String message) {
    progress(percent, message, lastFramesDone);
  }

  /**
   * Reports progress with the number of the task's frames finished so far. A report whose frame
   * count grew always goes out, so the server sees every frame finish.
   */
  public synchronized void progress(int percent, String message, int framesDone) {
    int clamped = Math.max(0, Math.min(100, percent));
    long now = System.nanoTime();
    boolean moreFrames = framesDone > lastFramesDone;
    boolean due = lastPercent < 0 || now - lastProgressNanos >= PROGRESS_INTERVAL_NANOS || clamped == 100;
    if (!moreFrames && (clamped == lastPercent || !due)) {
      return;
    }
    lastPercent = clamped;
    lastFramesDone = Math.max(lastFramesDone, framesDone);
    lastProgressNanos = now;
    progressSink.progress(clamped, message == null ? "" : message, lastFramesDone);
  }

  /**
   * Hands one finished output (a frame) over for upload to the target the dispatch named for it;
   * the upload runs while the plugin goes on. Only for dispatches with output targets.
   */
  public void outputWritten(int frame, Path file, String contentType) throws PluginFailure {
    outputSink.outputWritten(frame, file, contentType);
  }

  /** Throws when the job must stop (cancel, time limit, shutdown); call it between units of work. */
  public void checkStillWanted() throws JobStoppedException {
    Optional<StopReason> reason = stop.reason();
    if (reason.isPresent()) {
      throw new JobStoppedException(reason.get());
    }
  }

  /**
   * Throws when an output of this task could not be delivered (e.g. its upload was refused): the
   * task has failed, so a plugin should stop working on it. Call it between units of work.
   */
  public void checkDeliveries() throws PluginFailure {
    Optional<PluginFailure> failure = outputSink.deliveryFailure();
    if (failure.isPresent()) {
      throw failure.get();
    }
  }

  public Optional<StopReason> stopReason() {
    return stop.reason();
  }
}
