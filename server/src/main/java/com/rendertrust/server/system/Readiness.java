package com.rendertrust.server.system;

import java.util.Map;

/** The outcome of one readiness probe: every dependency check by name, true when it answered. */
public record Readiness(Map<String, Boolean> checks) {

  public Readiness {
    checks = Map.copyOf(checks);
  }

  public boolean ready() {
    return checks.values().stream().allMatch(Boolean::booleanValue);
  }
}
