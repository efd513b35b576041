package com.rendertrust.agent.jobs;

import java.time.Duration;

/** What the executor tells the server about a job; the implementation decides how the frames travel. */
public interface JobReports {

  /** The job started here (the server marks it RUNNING). */
  void accepted(JobSpec job);

  void progress(JobSpec job, int percent, String message);

  /** The result was uploaded to the job's presigned URL. */
  void completed(JobSpec job, String resultRef, Duration runtime);

  void failed(JobSpec job, String errorMessage, Duration runtime);

  /** A failure with a typed {@code error_code} (empty: untyped). */
  default void failed(JobSpec job, String errorMessage, String errorCode, Duration runtime) {
    failed(job, errorMessage, runtime);
  }

  /** The job ended without a report to send (cancelled by the server, or stopped at shutdown). */
  void forget(JobSpec job);
}
