package com.rendertrust.server.jobs;

import java.util.Arrays;

/** Why a task or job failed, as the contract types it. */
public enum ErrorCode {
  INPUT_UNAVAILABLE,
  INVALID_INPUT,
  OUT_OF_MEMORY,
  TIMEOUT,
  PLUGIN_ERROR,
  NODE_LOST,
  RETRIES_EXHAUSTED;

  /** A node's report: one of the codes a node may send; empty or unknown means PLUGIN_ERROR. */
  public static ErrorCode reportedByNode(String code) {
    return Arrays.stream(new ErrorCode[] {INPUT_UNAVAILABLE, INVALID_INPUT, OUT_OF_MEMORY, TIMEOUT, PLUGIN_ERROR})
        .filter(known -> known.name().equals(code))
        .findFirst()
        .orElse(PLUGIN_ERROR);
  }
}
