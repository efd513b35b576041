package com.rendertrust.agent.plugins;

/**
 * Why a job attempt failed, as {@code JobResult.error_code} names it. The server acts on it:
 * {@link #INVALID_INPUT} fails the job at once (no node could do better), the others are retried
 * on another node.
 */
public enum ErrorCode {
  /** The input could not be fetched (download failed, wrong hash). */
  INPUT_UNAVAILABLE,
  /** The input or payload is unusable: a scene Blender cannot open, a payload field out of range. */
  INVALID_INPUT,
  /** The program ran out of memory (or was killed by the out-of-memory killer). */
  OUT_OF_MEMORY,
  /** The job ran past its time limit and was stopped. */
  TIMEOUT,
  /** Anything else: the plugin or its program failed. */
  PLUGIN_ERROR
}
