package com.rendertrust.sdk;

import com.rendertrust.api.v1.CompleteUploadRequest;
import com.rendertrust.api.v1.CreateUploadRequest;
import com.rendertrust.api.v1.CreateUploadResponse;
import com.rendertrust.api.v1.DeleteUploadRequest;
import com.rendertrust.api.v1.GetUploadRequest;
import com.rendertrust.api.v1.ListUploadsRequest;
import com.rendertrust.api.v1.ListUploadsResponse;
import com.rendertrust.api.v1.UploadServiceGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The caller's uploaded inputs: {@link #upload} sends a file the way the API asks (declare its
 * size and SHA-256, PUT the bytes to the presigned URL, complete), and the rest looks at them.
 * Get it from {@link RenderTrustClient#uploads()}.
 */
public final class Uploads {

  /** Headers every HTTP client sets itself (java.net.http refuses to be told). */
  private static final Set<String> CLIENT_SET_HEADERS = Set.of("host", "content-length", "connection", "expect");
  private static final int BUFFER = 1 << 16;

  private final StubCaller<UploadServiceGrpc.UploadServiceBlockingStub> caller;
  private final HttpClient http;
  private final Duration transferTimeout;

  Uploads(StubCaller<UploadServiceGrpc.UploadServiceBlockingStub> caller, HttpClient http, Duration transferTimeout) {
    this.caller = caller;
    this.http = http;
    this.transferTimeout = transferTimeout;
  }

  /**
   * Uploads {@code file}: reads it once to compute its SHA-256, declares it, streams it to the
   * presigned URL with the headers the server named, and completes it. Returns the READY upload;
   * a file over the server's limit or quota throws {@link ValidationException} before any byte moves.
   */
  public Upload upload(Path file) {
    long size;
    String sha256;
    try {
      size = Files.size(file);
      sha256 = sha256(file);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
    CreateUploadResponse created = caller.call(stub -> stub.createUpload(CreateUploadRequest.newBuilder()
        .setFilename(file.getFileName().toString())
        .setSizeBytes(size)
        .setSha256(sha256)
        .setContentType(contentType(file))
        .build()));
    put(file, created);
    String id = created.getUpload().getId();
    return toUpload(caller.call(stub -> stub.completeUpload(CompleteUploadRequest.newBuilder().setUploadId(id).build()))
        .getUpload());
  }

  /** One of the caller's uploads; another user's id answers {@link NotFoundException}, like a missing one. */
  public Upload get(String uploadId) {
    return toUpload(caller.call(stub -> stub.getUpload(GetUploadRequest.newBuilder().setUploadId(uploadId).build()))
        .getUpload());
  }

  /** The caller's uploads, newest first. */
  public Page<Upload> list(int limit, int offset) {
    ListUploadsResponse response = caller.call(stub -> stub.listUploads(
        ListUploadsRequest.newBuilder().setLimit(limit).setOffset(offset).build()));
    return new Page<>(response.getUploadsList().stream().map(Uploads::toUpload).toList(), response.getCount());
  }

  /** Deletes the upload's bytes; {@link ConflictException} while an unfinished job still uses it. */
  public Upload delete(String uploadId) {
    return toUpload(caller.call(stub -> stub.deleteUpload(DeleteUploadRequest.newBuilder().setUploadId(uploadId).build()))
        .getUpload());
  }

  private void put(Path file, CreateUploadResponse created) {
    HttpRequest.Builder request;
    try {
      request = HttpRequest.newBuilder(URI.create(created.getUploadUrl()))
          .timeout(transferTimeout)
          .PUT(HttpRequest.BodyPublishers.ofFile(file));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
    created.getUploadHeadersMap().forEach((name, value) -> {
      if (!CLIENT_SET_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        request.header(name, value);
      }
    });
    int status = send(() -> http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    if (status / 100 != 2) {
      String reason = status == 413 ? "PAYLOAD_TOO_LARGE" : "UPLOAD_FAILED";
      throw new UnavailableException(reason, "UNAVAILABLE", "the upload PUT answered HTTP " + status, Map.of(), null);
    }
  }

  private interface Transfer<T> {
    T run() throws IOException, InterruptedException;
  }

  private static <T> T send(Transfer<T> transfer) {
    try {
      return transfer.run();
    } catch (IOException e) {
      throw new UncheckedIOException("the upload PUT failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while uploading", e);
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest = Downloads.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      byte[] buffer = new byte[BUFFER];
      while (in.read(buffer) >= 0) {
        // reading is hashing
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String contentType(Path file) {
    try {
      String probed = Files.probeContentType(file);
      return probed == null ? "application/octet-stream" : probed;
    } catch (IOException e) {
      return "application/octet-stream";
    }
  }

  static Upload toUpload(com.rendertrust.api.v1.Upload upload) {
    return new Upload(upload.getId(), upload.getFilename(), upload.getSizeBytes(), upload.getSha256(),
        upload.getContentType(), upload.getStatus(), instant(upload.getCreatedAt()), instant(upload.getExpiresAt()),
        upload.hasCompletedAt() ? instant(upload.getCompletedAt()) : null);
  }

  private static Instant instant(String rfc3339) {
    return rfc3339 == null || rfc3339.isEmpty() ? null : Instant.parse(rfc3339);
  }
}
