package com.rendertrust.sdk;

import java.util.Map;

/** The request was malformed or failed validation; nothing was written. */
public class ValidationException extends RenderTrustException {

  public ValidationException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
