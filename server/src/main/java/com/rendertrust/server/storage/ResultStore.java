package com.rendertrust.server.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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
   * What is stored under {@code key}: its size, and its SHA-256 where the store computes it
   * (the embedded store does; S3 reports only the size). Empty when nothing is stored.
   */
  Optional<StoredObject> stat(String key) throws IOException;

  /** The bytes stored under {@code key}, streamed; the caller closes the stream. */
  InputStream open(String key) throws IOException;

  /**
   * The server-chosen key of one output (a frame) of an assignment. The assignment id in the
   * key fences it: a node that lost the task cannot overwrite what a later attempt delivered.
   */
  static String outputKey(UUID jobId, UUID assignmentId, String name) {
    return outputsPrefix(jobId) + "/" + assignmentId + "/" + name;
  }

  /** The reference of a job whose result is several outputs (served as a ZIP): where they are kept. */
  static String outputsPrefix(UUID jobId) {
    return "outputs/" + jobId;
  }

  /**
   * The server-chosen key of one assignment's result. The node never names the key itself, so a
   * node cannot point a creator's download at another job's result.
   */
  static String resultKey(UUID jobId, UUID assignmentId) {
    return "results/" + jobId + "/" + assignmentId;
  }
}
