package com.rendertrust.server.platform.config;

import java.time.Duration;

/**
 * Creators' uploaded inputs.
 *
 * @param ttl how long a PENDING upload (and its PUT URL) lives before the sweeper removes it
 *     ({@code RT_UPLOAD_TTL_SECONDS}, 24 h)
 * @param maxBytes largest declared size of one upload ({@code RT_UPLOAD_MAX_BYTES}, 5 GiB); 413 above
 * @param quotaBytes per-user total of PENDING and READY uploads ({@code RT_UPLOAD_QUOTA_BYTES}, 50 GiB)
 * @param inputUrlTtl lifetime of the presigned GET a node gets for a job's input
 *     ({@code RT_INPUT_URL_TTL_SECONDS}, 15 min): long enough to start the download
 * @param sweepInterval period of the expired-upload sweeper ({@code RT_UPLOAD_SWEEP_INTERVAL_SECONDS}, 60 s)
 */
public record UploadsConfig(Duration ttl, long maxBytes, long quotaBytes, Duration inputUrlTtl, Duration sweepInterval) {

  public static final long GIB = 1024L * 1024 * 1024;

  public UploadsConfig {
    requirePositive(ttl, "RT_UPLOAD_TTL_SECONDS");
    requirePositive(inputUrlTtl, "RT_INPUT_URL_TTL_SECONDS");
    requirePositive(sweepInterval, "RT_UPLOAD_SWEEP_INTERVAL_SECONDS");
    if (ttl.compareTo(Duration.ofDays(7)) > 0) {
      // a presigned PUT URL (SigV4) cannot live longer than 7 days
      throw new IllegalArgumentException("RT_UPLOAD_TTL_SECONDS must be at most 604800 (7 days)");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("RT_UPLOAD_MAX_BYTES must be >= 1");
    }
    if (quotaBytes < 1) {
      throw new IllegalArgumentException("RT_UPLOAD_QUOTA_BYTES must be >= 1");
    }
  }

  public static UploadsConfig defaults() {
    return new UploadsConfig(Duration.ofHours(24), 5 * GIB, 50 * GIB, Duration.ofMinutes(15), Duration.ofSeconds(60));
  }

  private static void requirePositive(Duration value, String name) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }
}
