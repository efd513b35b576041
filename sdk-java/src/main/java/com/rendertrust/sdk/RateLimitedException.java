package com.rendertrust.sdk;

import java.time.Duration;
import java.util.Map;

/** Too many requests; {@link #retryAfter()} says when to try again. */
public final class RateLimitedException extends RenderTrustException {

  public RateLimitedException(String reason, String grpcCode, String detail, Map<String, String> metadata,
      Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }

  /** How long to wait before retrying, or null if the server did not say. */
  public Duration retryAfter() {
    String seconds = metadata().get("retry_after_seconds");
    return seconds == null ? null : Duration.ofSeconds(Long.parseLong(seconds));
  }
}
