package com.rendertrust.sdk;

import java.util.Map;

/** The caller is authenticated but not allowed to make this call. */
public class PermissionDeniedException extends RenderTrustException {

  public PermissionDeniedException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
