package com.rendertrust.agent.plugins;

/** Thrown inside a plugin when its job must stop; the executor turns it into the right report. */
public final class JobStoppedException extends Exception {

  private final StopReason reason;

  public JobStoppedException(StopReason reason) {
    super("job stopped: " + reason, null, false, false);
    this.reason = reason;
  }

  public StopReason reason() {
    return reason;
  }
}
