package com.rendertrust.sdk;

import java.util.Map;

/** The server or one of its dependencies is unavailable; retrying later may succeed. */
public class UnavailableException extends RenderTrustException {

  public UnavailableException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
