package com.rendertrust.sdk;

import java.math.BigDecimal;
import java.util.Map;

/** The caller's available credits (balance minus holds) do not cover the amount. */
public final class InsufficientCreditsException extends RenderTrustException {

  public InsufficientCreditsException(String reason, String grpcCode, String detail, Map<String, String> metadata,
      Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }

  /** Credits available when the call was refused, or null if the server did not say. */
  public BigDecimal available() {
    String value = metadata().get("available");
    return value == null ? null : new BigDecimal(value);
  }

  /** Credits the call needed, or null if the server did not say. */
  public BigDecimal requested() {
    String value = metadata().get("requested");
    return value == null ? null : new BigDecimal(value);
  }
}
