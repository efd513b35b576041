package com.rendertrust.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/**
 * Streams a presigned URL into a file: into a temporary file next to the target first, moved
 * into place only once complete (and, when expected values are given, verified), so a failed
 * download never leaves a partial or wrong file at the target.
 */
final class Downloads {

  private static final int BUFFER = 1 << 16;

  private final HttpClient http;
  private final Duration timeout;

  Downloads(HttpClient http, Duration timeout) {
    this.http = http;
    this.timeout = timeout;
  }

  /** Downloads {@code url} to {@code target} as it is. */
  Path download(String url, Path target, String what) {
    return download(url, target, what, -1, null);
  }

  /**
   * Downloads {@code url} to {@code target}, refusing it with {@link OutputMismatchException} when
   * it is not {@code expectedSize} bytes with SHA-256 {@code expectedSha256}; reading stops as
   * soon as the body runs past the expected size.
   */
  Path download(String url, Path target, String what, long expectedSize, String expectedSha256) {
    Path partial = null;
    try {
      partial = Files.createTempFile(target.toAbsolutePath().getParent(), ".download-", ".part");
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET()
          .build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        if (response.statusCode() != 200) {
          throw new UnavailableException("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE",
              "download of " + what + " answered HTTP " + response.statusCode(), Map.of(), null);
        }
        MessageDigest digest = sha256();
        long size = copy(body, partial, digest, expectedSize);
        String sha256 = HexFormat.of().formatHex(digest.digest());
        if (expectedSize >= 0 && size != expectedSize) {
          throw new OutputMismatchException(what + ": expected " + expectedSize + " bytes, got "
              + (size > expectedSize ? "more" : size), Map.of("expected_size", Long.toString(expectedSize)));
        }
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha256)) {
          throw new OutputMismatchException(what + ": SHA-256 is " + sha256 + ", the server listed " + expectedSha256,
              Map.of("expected_sha256", expectedSha256, "actual_sha256", sha256));
        }
      }
      Path done = Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      partial = null;
      return done;
    } catch (IOException e) {
      throw new UncheckedIOException("could not download " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while downloading " + what, e);
    } finally {
      deleteQuietly(partial);
    }
  }

  /** Copies at most {@code limit} + 1 bytes (all when {@code limit} is negative); returns how many. */
  private static long copy(InputStream in, Path file, MessageDigest digest, long limit) throws IOException {
    long total = 0;
    byte[] buffer = new byte[BUFFER];
    try (OutputStream out = Files.newOutputStream(file)) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        total += read;
        if (limit >= 0 && total > limit) {
          return total;
        }
        digest.update(buffer, 0, read);
        out.write(buffer, 0, read);
      }
    }
    return total;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a leftover temporary file is harmless; the original failure matters
      }
    }
  }
}
