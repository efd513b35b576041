package com.rendertrust.server.storage;

import com.rendertrust.server.platform.config.StorageConfig;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

/**
 * Results in any S3-compatible bucket (AWS, MinIO, Ceph, R2...) through SigV4 presigned URLs.
 * Presigning is local computation: the store is never contacted by the control plane itself.
 */
public final class S3ResultStore implements ResultStore, AutoCloseable {

  /** SigV4 presigned URLs cannot live longer than 7 days. */
  private static final Duration MAX_URL_LIFETIME = Duration.ofDays(7);
  private static final Duration MIN_URL_LIFETIME = Duration.ofSeconds(1);

  private final S3Presigner presigner;
  private final String bucket;
  private final Clock clock;

  S3ResultStore(S3Presigner presigner, String bucket, Clock clock) {
    this.presigner = presigner;
    this.bucket = bucket;
    this.clock = clock;
  }

  public static S3ResultStore create(StorageConfig.S3 settings, Clock clock) {
    AwsCredentialsProvider credentials = settings.accessKeyId()
        .<AwsCredentialsProvider>map(id -> StaticCredentialsProvider.create(
            AwsBasicCredentials.create(id, settings.secretAccessKey().orElseThrow())))
        .orElseGet(() -> DefaultCredentialsProvider.builder().build());
    S3Presigner.Builder builder = S3Presigner.builder()
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
    settings.endpoint().ifPresent(builder::endpointOverride);
    return new S3ResultStore(builder.build(), settings.bucket(), clock);
  }

  @Override
  public URI uploadUrl(String key, Instant expiresAt) {
    Duration lifetime = clamp(Duration.between(clock.instant(), expiresAt));
    PutObjectPresignRequest request = PutObjectPresignRequest.builder()
        .signatureDuration(lifetime)
        .putObjectRequest(put -> put.bucket(bucket).key(key))
        .build();
    return toUri(presigner.presignPutObject(request).url());
  }

  @Override
  public URI downloadUrl(String key, Duration ttl) {
    GetObjectPresignRequest request = GetObjectPresignRequest.builder()
        .signatureDuration(clamp(ttl))
        .getObjectRequest(get -> get.bucket(bucket).key(key))
        .build();
    return toUri(presigner.presignGetObject(request).url());
  }

  private static Duration clamp(Duration lifetime) {
    if (lifetime.compareTo(MIN_URL_LIFETIME) < 0) {
      return MIN_URL_LIFETIME;
    }
    return lifetime.compareTo(MAX_URL_LIFETIME) > 0 ? MAX_URL_LIFETIME : lifetime;
  }

  private static URI toUri(java.net.URL url) {
    try {
      return url.toURI();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("the presigner produced an invalid URL", e);
    }
  }

  @Override
  public void close() {
    presigner.close();
  }
}
