package com.rendertrust.server.storage;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Object storage for job results, reached only through presigned URLs: nodes PUT a result to an
 * upload URL, creators GET it from a download URL. Neither needs any other credential.
 */
public interface ResultStore {

  /** A URL that accepts one PUT of the object {@code key} until {@code expiresAt}. */
  URI uploadUrl(String key, Instant expiresAt);

  /** A URL that serves the object {@code key} for {@code ttl}. */
  URI downloadUrl(String key, Duration ttl);

  /**
   * The server-chosen key of one assignment's result. The node never names the key itself, so a
   * node cannot point a creator's download at another job's result.
   */
  static String resultKey(UUID jobId, UUID assignmentId) {
    return "results/" + jobId + "/" + assignmentId;
  }
}
