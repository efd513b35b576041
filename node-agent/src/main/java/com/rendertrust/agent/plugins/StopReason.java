package com.rendertrust.agent.plugins;

/** Why a running job is being stopped from outside. */
public enum StopReason {
  /** The server sent CancelJob: no report is sent. */
  CANCELLED,
  /** The job ran past its time limit: reported FAILED. */
  TIME_LIMIT,
  /** The agent is shutting down and the drain grace ran out: no report; the server requeues the job. */
  SHUTDOWN
}
