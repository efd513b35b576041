package com.rendertrust.server.storage;

import com.rendertrust.server.platform.config.StorageConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.DeleteObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.HeadObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedDeleteObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedHeadObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

/**
 * Results and inputs in any S3-compatible bucket (AWS, MinIO, Ceph, R2...) through SigV4
 * presigned URLs. Presigning is local computation. The control plane contacts the store itself
 * only over requests it presigned: to look at an object ({@code HEAD} with its checksum: an
 * upload, a delivered output), to stream a job's ZIP, and to delete an upload.
 */
public final class S3ResultStore implements ResultStore, InputStore, AutoCloseable {

  /** SigV4 presigned URLs cannot live longer than 7 days. */
  private static final Duration MAX_URL_LIFETIME = Duration.ofDays(7);
  private static final Duration MIN_URL_LIFETIME = Duration.ofSeconds(1);
  /** Lifetime of the presigned HEAD and DELETE requests the server sends itself. */
  private static final Duration SELF_REQUEST_LIFETIME = Duration.ofMinutes(5);
  private static final Duration SELF_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final String CHECKSUM_HEADER = "x-amz-checksum-sha256";
  /** The control plane reads an object only to stream a ZIP, at once. */
  private static final Duration STAT_URL_LIFETIME = Duration.ofMinutes(5);

  private final S3Presigner presigner;
  private final String bucket;
  private final Clock clock;
  private final HttpClient http;

  S3ResultStore(S3Presigner presigner, String bucket, Clock clock) {
    this.presigner = presigner;
    this.bucket = bucket;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
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

  /**
   * Signs the length, the content type and {@code x-amz-checksum-sha256} (the base64 digest): S3
   * computes the body's SHA-256 and refuses the PUT when it differs, and keeps it for {@link #stat}.
   */
  @Override
  public PresignedPut presignPut(String key, long sizeBytes, String sha256Hex, String contentType, Instant expiresAt) {
    String checksum = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256Hex));
    PutObjectPresignRequest request = PutObjectPresignRequest.builder()
        .signatureDuration(clamp(Duration.between(clock.instant(), expiresAt)))
        .putObjectRequest(put -> put.bucket(bucket).key(key).contentLength(sizeBytes).contentType(contentType)
            .checksumSHA256(checksum))
        .build();
    PresignedPutObjectRequest presigned = presigner.presignPutObject(request);
    Map<String, String> headers = new TreeMap<>();
    presigned.signedHeaders().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      // every HTTP client sets Host and Content-Length itself (and most refuse to be told)
      if (!lower.equals("host") && !lower.equals("content-length")) {
        headers.put(lower, String.join(",", values));
      }
    });
    return new PresignedPut(toUri(presigned.url()), Map.copyOf(headers));
  }

  @Override
  public URI presignGet(String key, Duration ttl) {
    return downloadUrl(key, ttl);
  }

  @Override
  public Optional<StoredObject> stat(String key) {
    PresignedHeadObjectRequest head = presigner.presignHeadObject(HeadObjectPresignRequest.builder()
        .signatureDuration(SELF_REQUEST_LIFETIME)
        .headObjectRequest(request -> request.bucket(bucket).key(key).checksumMode(ChecksumMode.ENABLED))
        .build());
    HttpResponse<Void> response = send(head, "HEAD");
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    if (response.statusCode() / 100 != 2) {
      throw new UncheckedIOException(new IOException("S3 answered HEAD with HTTP " + response.statusCode()));
    }
    long size = response.headers().firstValueAsLong("content-length").orElse(-1);
    Optional<String> sha256 = response.headers().firstValue(CHECKSUM_HEADER).flatMap(S3ResultStore::hexOfBase64);
    return Optional.of(new StoredObject(size, sha256));
  }

  @Override
  public void delete(String key) {
    PresignedDeleteObjectRequest delete = presigner.presignDeleteObject(DeleteObjectPresignRequest.builder()
        .signatureDuration(SELF_REQUEST_LIFETIME)
        .deleteObjectRequest(request -> request.bucket(bucket).key(key))
        .build());
    int status = send(delete, "DELETE").statusCode();
    if (status / 100 != 2 && status != 404) {
      throw new UncheckedIOException(new IOException("S3 answered DELETE with HTTP " + status));
    }
  }

  @Override
  public Optional<String> bucket() {
    return Optional.of(bucket);
  }

  private HttpResponse<Void> send(PresignedRequest presigned, String method) {
    HttpRequest.Builder request = HttpRequest.newBuilder(toUri(presigned.url()))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .timeout(SELF_REQUEST_TIMEOUT);
    presigned.signedHeaders().forEach((name, values) -> {
      if (!name.equalsIgnoreCase("host")) {
        values.forEach(value -> request.header(name, value));
      }
    });
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new UncheckedIOException("S3 is unreachable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while calling S3", e));
    }
  }

  /** S3's checksum of a one-part object is the base64 digest; a multipart one ("...-N") is not a SHA-256 of the bytes. */
  private static Optional<String> hexOfBase64(String value) {
    try {
      byte[] digest = Base64.getDecoder().decode(value.strip());
      return digest.length == 32 ? Optional.of(HexFormat.of().formatHex(digest)) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
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
