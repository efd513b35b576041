package com.rendertrust.agent.plugins;

/**
 * The job cannot succeed; the message becomes the job's {@code error_message}, so it must say why
 * in plain words. The error code types the failure for the server ({@code JobResult.error_code}):
 * empty means PLUGIN_ERROR.
 */
public final class PluginFailure extends Exception {

  /** The job's input could not be had (download failed); another attempt may succeed. */
  public static final String INPUT_UNAVAILABLE = "INPUT_UNAVAILABLE";
  /** The job's input reference is unusable (not a valid URL, or one this node must not fetch). */
  public static final String INVALID_INPUT = "INVALID_INPUT";

  private final String errorCode;

  public PluginFailure(String message) {
    this(message, "", null);
  }

  public PluginFailure(String message, Throwable cause) {
    this(message, "", cause);
  }

  private PluginFailure(String message, String errorCode, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
  }

  public static PluginFailure inputUnavailable(String message) {
    return new PluginFailure(message, INPUT_UNAVAILABLE, null);
  }

  public static PluginFailure invalidInput(String message) {
    return new PluginFailure(message, INVALID_INPUT, null);
  }

  /** INPUT_UNAVAILABLE, INVALID_INPUT, or empty (a plugin error). */
  public String errorCode() {
    return errorCode;
  }
}
