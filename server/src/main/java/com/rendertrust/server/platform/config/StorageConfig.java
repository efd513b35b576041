package com.rendertrust.server.platform.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where job results live. With {@code s3} set, an S3-compatible bucket through presigned URLs;
 * otherwise the embedded default, a local directory served by the server itself with signed,
 * expiring URLs.
 *
 * @param localDirectory directory of the local store ({@code RT_STORAGE_DIR}, default data dir + "/blobs")
 * @param publicBaseUrl base of the local store's URLs as nodes and creators reach the server
 *     ({@code RT_PUBLIC_BASE_URL}; default {@code http://localhost:<port>})
 * @param signingKey HMAC key of the local store's URLs ({@code RT_STORAGE_SIGNING_KEY}); when
 *     absent, a random key kept in the store directory, shared by replicas that share it
 * @param maxObjectBytes largest result a node may upload to the local store
 * @param downloadUrlTtl lifetime of a result download URL ({@code expires_in})
 */
public record StorageConfig(
    Optional<Path> localDirectory,
    Optional<URI> publicBaseUrl,
    Optional<String> signingKey,
    long maxObjectBytes,
    Duration downloadUrlTtl,
    Optional<S3> s3) {

  /** An S3-compatible bucket; {@code endpoint} empty means AWS itself. */
  public record S3(String bucket, Optional<URI> endpoint, String region, Optional<String> accessKeyId,
      Optional<String> secretAccessKey, boolean pathStyle) {

    public S3 {
      Objects.requireNonNull(bucket, "bucket");
      Objects.requireNonNull(region, "region");
      if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
        throw new IllegalArgumentException("set both RT_S3_ACCESS_KEY_ID and RT_S3_SECRET_ACCESS_KEY, or neither");
      }
    }

    @Override
    public String toString() {
      return "S3[bucket=" + bucket + ", endpoint=" + endpoint.map(URI::toString).orElse("<aws>")
          + ", region=" + region + ", accessKeyId=" + accessKeyId.orElse("<default chain>")
          + ", secretAccessKey=" + (secretAccessKey.isPresent() ? "***" : "<default chain>")
          + ", pathStyle=" + pathStyle + "]";
    }
  }

  public StorageConfig {
    Objects.requireNonNull(localDirectory, "localDirectory");
    Objects.requireNonNull(publicBaseUrl, "publicBaseUrl");
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(s3, "s3");
    if (maxObjectBytes < 1) {
      throw new IllegalArgumentException("RT_STORAGE_MAX_OBJECT_BYTES must be >= 1");
    }
    if (downloadUrlTtl.isNegative() || downloadUrlTtl.isZero()) {
      throw new IllegalArgumentException("RT_RESULT_URL_TTL_SECONDS must be positive");
    }
    signingKey.ifPresent(key -> {
      if (key.length() < 32) {
        throw new IllegalArgumentException("RT_STORAGE_SIGNING_KEY must be at least 32 characters");
      }
    });
  }

  public static StorageConfig defaults() {
    return new StorageConfig(Optional.empty(), Optional.empty(), Optional.empty(), 256L * 1024 * 1024,
        Duration.ofHours(1), Optional.empty());
  }

  public StorageConfig withLocalDirectory(Path directory) {
    return new StorageConfig(Optional.of(directory), publicBaseUrl, signingKey, maxObjectBytes, downloadUrlTtl, s3);
  }

  /** Never prints the signing key or the S3 secret. */
  @Override
  public String toString() {
    return "StorageConfig[localDirectory=" + localDirectory.map(Path::toString).orElse("<data dir>/blobs")
        + ", publicBaseUrl=" + publicBaseUrl.map(URI::toString).orElse("<http://localhost:port>")
        + ", signingKey=" + (signingKey.isPresent() ? "***" : "<generated>")
        + ", maxObjectBytes=" + maxObjectBytes + ", downloadUrlTtl=" + downloadUrlTtl
        + ", s3=" + s3.map(S3::toString).orElse("<off: local store>") + "]";
  }
}
