package com.rendertrust.sdk;

import java.util.Map;

/** Credentials are missing, wrong, expired or revoked. */
public class AuthenticationException extends RenderTrustException {

  public AuthenticationException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
