package com.rendertrust.sdk;

import java.util.Map;

/** No healthy node currently offers the requested job type. */
public class NoHealthyNodeException extends RenderTrustException {

  public NoHealthyNodeException(String reason, String grpcCode, String detail, Map<String, String> metadata, Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
