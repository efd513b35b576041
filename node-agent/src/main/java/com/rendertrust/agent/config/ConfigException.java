package com.rendertrust.agent.config;

/** A setting is missing or invalid; the message names the setting and its source, for the operator. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
