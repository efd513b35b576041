package com.rendertrust.agent.plugins;

import java.util.Objects;

/**
 * The job cannot succeed; the message becomes the job's {@code error_message}, so it must say why
 * in plain words, and the code its {@code error_code} ({@link ErrorCode#PLUGIN_ERROR} unless said).
 */
public final class PluginFailure extends Exception {

  private final ErrorCode code;

  public PluginFailure(String message) {
    this(ErrorCode.PLUGIN_ERROR, message);
  }

  public PluginFailure(String message, Throwable cause) {
    super(message, cause);
    this.code = ErrorCode.PLUGIN_ERROR;
  }

  public PluginFailure(ErrorCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }

  /** The job's input could not be had (download failed); another attempt may succeed. */
  public static PluginFailure inputUnavailable(String message) {
    return new PluginFailure(ErrorCode.INPUT_UNAVAILABLE, message);
  }

  /** The job's input reference is unusable (not a valid URL, or one this node must not fetch). */
  public static PluginFailure invalidInput(String message) {
    return new PluginFailure(ErrorCode.INVALID_INPUT, message);
  }
}
