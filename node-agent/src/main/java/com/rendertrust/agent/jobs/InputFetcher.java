package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.PluginFailure;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Downloads a job's input into its work dir: the server-issued {@code input_url} (a presigned GET
 * of an upload or of an object in the server's bucket; trusted, and checked against
 * {@code input_sha256} while it streams: a failed download or another hash fails the job with
 * INPUT_UNAVAILABLE), else {@code payload_ref} when it is an http(s) URL. Other references
 * (s3://, ipfs://) need credentials the agent does not have; they are handed to the plugin
 * unchanged ({@code {payload_ref}}).
 */
public final class InputFetcher {

  private static final Pattern SAFE_EXTENSION = Pattern.compile("\\.[A-Za-z0-9]{1,10}");

  private final HttpClient http;
  private final PinnedDownload userUrls;

  public InputFetcher(HttpClient http, PinnedDownload userUrls) {
    this.http = http;
    this.userUrls = userUrls;
  }

  public Optional<Path> fetch(JobSpec job, Path workDir, Duration timeout) throws PluginFailure, InterruptedException {
    if (!job.inputUrl().isBlank()) {
      return Optional.of(fetchIssued(job, workDir, timeout));
    }
    String ref = job.payloadRef().strip();
    String lower = ref.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http:") && !lower.startsWith("https:")) {
      return Optional.empty();
    }
    URI uri = parse("payload_ref", ref);
    Path target = workDir.resolve("input" + extension(uri));
    userUrls.download("payload_ref", uri, target, timeout);
    return Optional.of(target);
  }

  private static URI parse(String field, String url) throws PluginFailure {
    try {
      return new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw PluginFailure.invalidInput(field + " is not a valid URL");
    }
  }

  private Path fetchIssued(JobSpec job, Path workDir, Duration timeout) throws PluginFailure, InterruptedException {
    String shown = UrlText.withoutQuery(job.inputUrl());
    URI uri;
    try {
      uri = URI.create(job.inputUrl().strip());
    } catch (IllegalArgumentException e) {
      throw PluginFailure.inputUnavailable("the input URL is not a valid URL");
    }
    Path target = workDir.resolve("input" + extension(uri));
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(timeout).build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (InputStream body = new DigestInputStream(response.body(), sha256)) {
        if (response.statusCode() / 100 != 2) {
          throw PluginFailure.inputUnavailable("could not download the input " + shown + ": HTTP " + response.statusCode());
        }
        Files.copy(body, target, StandardCopyOption.REPLACE_EXISTING);
      }
      String actual = HexFormat.of().formatHex(sha256.digest());
      String expected = job.inputSha256().strip().toLowerCase(Locale.ROOT);
      if (!expected.isEmpty() && !expected.equals(actual)) {
        Files.deleteIfExists(target);
        throw PluginFailure.inputUnavailable("the downloaded input's SHA-256 is " + actual
            + ", not the expected " + expected);
      }
      return target;
    } catch (IOException e) {
      throw PluginFailure.inputUnavailable("could not download the input " + shown + ": "
          + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Keeps the reference's file extension (Blender and many tools look at it). */
  private static String extension(URI uri) {
    String path = uri.getPath() == null ? "" : uri.getPath();
    String name = path.substring(path.lastIndexOf('/') + 1);
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return "";
    }
    String extension = name.substring(dot);
    return SAFE_EXTENSION.matcher(extension).matches() ? extension : "";
  }
}
