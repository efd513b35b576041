package com.rendertrust.sdk;

import java.util.Map;

/**
 * A call the server refused or could not complete. {@link #reason()} is the server's stable
 * {@code ErrorReason} name (e.g. {@code INSUFFICIENT_CREDITS}); switch on it, never on the message.
 */
public class RenderTrustException extends RuntimeException {

  private final String reason;
  private final String grpcCode;
  private final Map<String, String> metadata;

  public RenderTrustException(String reason, String grpcCode, String detail, Map<String, String> metadata,
      Throwable cause) {
    super(detail, cause);
    this.reason = reason;
    this.grpcCode = grpcCode;
    this.metadata = Map.copyOf(metadata);
  }

  /** The {@code ErrorReason} name, or the gRPC code name when the server sent no reason. */
  public String reason() {
    return reason;
  }

  /** The gRPC status code name, e.g. {@code NOT_FOUND}. */
  public String grpcCode() {
    return grpcCode;
  }

  /** Extra details of the failure ({@code ErrorInfo.metadata}). */
  public Map<String, String> metadata() {
    return metadata;
  }
}
