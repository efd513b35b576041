package com.rendertrust.sdk;

import java.util.Map;

/** The request conflicts with existing state (email taken, idempotency key reused with other data). */
public class ConflictException extends RenderTrustException {

  public ConflictException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
