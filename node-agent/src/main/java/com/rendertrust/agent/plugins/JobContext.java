package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.agent.jobs.JobSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a plugin may use for one job: the job, its private working directory, its input,
 * where to write the output, progress reporting and the stop flag.
 */
public final class JobContext {

  /** Receives throttled progress reports. */
  public interface ProgressSink {
    void progress(int percent, String message);
  }

  private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

  private final JobSpec job;
  private final Path workDir;
  private final Optional<Path> inputFile;
  private final Duration timeLimit;
  private final StopSignal stop;
  private final ProgressSink progressSink;
  private final ObjectMapper json = new ObjectMapper();
  private int lastPercent = -1;
  private long lastProgressNanos;

  public JobContext(JobSpec job, Path workDir, Optional<Path> inputFile, Duration timeLimit, StopSignal stop,
      ProgressSink progressSink) {
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

  /**
   * The job's downloaded input: the server-issued {@code input_url} (an upload, already checked
   * against its SHA-256), else an http(s) {@code payload_ref}. Named {@code input<.ext>} in the
   * work dir, keeping the source's extension (e.g. {@code input.blend}).
   */
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
    int clamped = Math.max(0, Math.min(100, percent));
    long now = System.nanoTime();
    boolean due = lastPercent < 0 || now - lastProgressNanos >= PROGRESS_INTERVAL_NANOS || clamped == 100;
    if (clamped == lastPercent || !due) {
      return;
    }
    lastPercent = clamped;
    lastProgressNanos = now;
    progressSink.progress(clamped, message == null ? "" : message);
  }

  /** Throws when the job must stop (cancel, time limit, shutdown); call it between units of work. */
  public void checkStillWanted() throws JobStoppedException {
    Optional<StopReason> reason = stop.reason();
    if (reason.isPresent()) {
      throw new JobStoppedException(reason.get());
    }
  }

  public Optional<StopReason> stopReason() {
    return stop.reason();
  }
}
