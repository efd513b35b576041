package com.rendertrust.sdk;

import java.util.Map;

/** An object does not exist or belongs to someone else (the server answers both alike). */
public class NotFoundException extends RenderTrustException {

  public NotFoundException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
