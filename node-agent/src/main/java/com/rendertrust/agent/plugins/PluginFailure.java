package com.rendertrust.agent.plugins;

/** The job cannot succeed; the message becomes the job's {@code error_message}, so it must say why in plain words. */
public final class PluginFailure extends Exception {
  public PluginFailure(String message) {
    super(message);
  }

  public PluginFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
