package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.ErrorCode;
import java.time.Duration;

/**
 * What the executor tells the server about a job; the implementation decides how the frames
 * travel. Every report names the job's assignment, which is what identifies the running work.
 */
public interface JobReports {

  /** The job started here (the server marks it RUNNING). */
  void accepted(JobSpec job);

  /** @param framesDone frames of the task finished so far (render tasks); 0 otherwise */
  void progress(JobSpec job, int percent, String message, int framesDone);

  /** One output of the task was uploaded to its target. */
  void outputReady(JobSpec job, OutputReport output);

  /** The result was uploaded to the job's presigned URL (or every output to its own target). */
  void completed(JobSpec job, String resultRef, Duration runtime);

  /** The job failed; {@code code} types it for the server ({@code JobResult.error_code}). */
  void failed(JobSpec job, ErrorCode code, String errorMessage, Duration runtime);

  /** The job ended without a report to send (cancelled by the server, or stopped at shutdown). */
  void forget(JobSpec job);
}
