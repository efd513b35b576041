package com.rendertrust.server.storage;

import com.rendertrust.server.platform.config.StorageConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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
 * Presigning is local computation; the control plane contacts the store only through URLs it
 * presigned, to check a delivered output's size and to stream a job's ZIP.
 */
public final class S3ResultStore implements ResultStore, AutoCloseable {

  /** SigV4 presigned URLs cannot live longer than 7 days. */
  private static final Duration MAX_URL_LIFETIME = Duration.ofDays(7);
  private static final Duration MIN_URL_LIFETIME = Duration.ofSeconds(1);
  /** The control plane reads an object only to check an output or stream a ZIP, at once. */
  private static final Duration STAT_URL_LIFETIME = Duration.ofMinutes(5);

  /** Only ever calls URLs this store presigned itself, for its own bucket. */
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

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

  /** Asks S3 for the first byte: the Content-Range of the answer carries the object's size. */
  @Override
  public Optional<StoredObject> stat(String key) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(downloadUrl(key, STAT_URL_LIFETIME))
        .header("Range", "bytes=0-0").timeout(Duration.ofSeconds(30)).GET().build();
    HttpResponse<Void> response = send(request, HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() == 404 || response.statusCode() == 403) {
      return Optional.empty();
    }
    Optional<String> range = response.headers().firstValue("Content-Range");
    if ((response.statusCode() != 206 && response.statusCode() != 416) || range.isEmpty()) {
      throw new IOException("S3 answered " + response.statusCode() + " to a ranged GET of " + key);
    }
    String total = range.get().substring(range.get().lastIndexOf('/') + 1).strip();
    try {
      return Optional.of(new StoredObject(Long.parseLong(total), Optional.empty()));
    } catch (NumberFormatException e) {
      throw new IOException("S3 sent an unreadable Content-Range: " + range.get(), e);
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    HttpResponse<InputStream> response = send(HttpRequest.newBuilder(downloadUrl(key, STAT_URL_LIFETIME)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      response.body().close();
      throw new IOException("S3 answered " + response.statusCode() + " to a GET of " + key);
    }
    return response.body();
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
    try {
      return http.send(request, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
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
    http.close();
  }
}
