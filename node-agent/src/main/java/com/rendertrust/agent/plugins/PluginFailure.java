package com.rendertrust.agent.plugins;

/**
 * The job cannot succeed; the message becomes the job's {@code error_message}, so it must say why
 * in plain words. The optional error code is the contract's typed failure ({@code error_code},
 * e.g. "INPUT_UNAVAILABLE"); empty means a plugin error.
 */
public final class PluginFailure extends Exception {

  /** The job's input could not be downloaded, or it is not the input the server named. */
  public static final String INPUT_UNAVAILABLE = "INPUT_UNAVAILABLE";

  private final String errorCode;

  public PluginFailure(String message) {
    this(message, (Throwable) null);
  }

  public PluginFailure(String message, Throwable cause) {
    super(message, cause);
    this.errorCode = "";
  }

  private PluginFailure(String errorCode, String message) {
    super(message);
    this.errorCode = errorCode;
  }

  /** A failure with a typed {@code error_code}. */
  public static PluginFailure typed(String errorCode, String message) {
    return new PluginFailure(errorCode, message);
  }

  public String errorCode() {
    return errorCode;
  }
}
