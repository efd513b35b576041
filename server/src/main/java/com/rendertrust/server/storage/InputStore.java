package com.rendertrust.server.storage;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Object storage for creators' uploaded inputs, reached through presigned URLs like results: the
 * client PUTs the bytes straight to the store, and nodes GET them from it. The server itself
 * only looks at what was stored ({@link #stat}) and removes it ({@link #delete}).
 */
public interface InputStore {

  /** A presigned PUT: the URL and the headers the request must carry (the signature covers them). */
  record PresignedPut(URI url, Map<String, String> headers) {
  }

  /**
   * A URL that accepts one PUT of exactly {@code sizeBytes} bytes at {@code key} until
   * {@code expiresAt}. The embedded store refuses any byte beyond the size (413); S3 refuses a
   * body whose length or SHA-256 differs from the signed ones.
   */
  PresignedPut presignPut(String key, long sizeBytes, String sha256Hex, String contentType, Instant expiresAt);

  /** A URL that serves the object {@code key} for {@code ttl}. */
  URI presignGet(String key, Duration ttl);

  /** The stored object, or empty when nothing is stored at {@code key}. */
  Optional<StoredObject> stat(String key);

  /** Removes the object (nothing happens when there is none). */
  void delete(String key);

  /** The S3 bucket behind this store; empty for the embedded store. */
  Optional<String> bucket();
}
