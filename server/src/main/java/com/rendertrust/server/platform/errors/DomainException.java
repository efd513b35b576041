package com.rendertrust.server.platform.errors;

import java.util.Map;

/**
 * The one exception domain code throws for an expected failure. Its message is the
 * client-facing detail, so it must never carry secrets, SQL or internal names; metadata
 * travels in {@code ErrorInfo.metadata} (and as extra fields of the REST error body).
 */
public class DomainException extends RuntimeException {

  private final Reason reason;
  private final Map<String, String> metadata;

  public DomainException(Reason reason, String detail) {
    this(reason, detail, Map.of());
  }

  public DomainException(Reason reason, String detail, Map<String, String> metadata) {
    // Expected failures are control flow on hot paths (402 under load): no stack trace.
    super(detail, null, false, false);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
  }

  public Reason reason() {
    return reason;
  }

  public String detail() {
    return getMessage();
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public static DomainException notFound(String what) {
    return new DomainException(Reason.NOT_FOUND, what + " not found");
  }

  public static DomainException validation(String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail);
  }

  public static DomainException unavailable(String detail) {
    return new DomainException(Reason.DEPENDENCY_UNAVAILABLE, detail);
  }
}
