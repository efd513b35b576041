package com.rendertrust.server.credits;

/** A job hold's life: ACTIVE until the job ends, then CAPTURED (completed) or RELEASED (failed, cancelled, timed out). */
public enum HoldStatus {
  ACTIVE,
  CAPTURED,
  RELEASED
}
