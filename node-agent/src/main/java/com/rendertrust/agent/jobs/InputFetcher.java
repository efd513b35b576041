package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.PluginFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Downloads a job's {@code payload_ref} into its work dir when it is an http(s) URL (e.g. a
 * presigned GET). Other references (s3://, ipfs://) need credentials the agent does not have;
 * they are handed to the plugin unchanged ({@code {payload_ref}}).
 */
public final class InputFetcher {

  private static final Pattern SAFE_EXTENSION = Pattern.compile("\\.[A-Za-z0-9]{1,10}");

  private final HttpClient http;

  public InputFetcher(HttpClient http) {
    this.http = http;
  }

  public Optional<Path> fetch(JobSpec job, Path workDir, Duration timeout) throws PluginFailure, InterruptedException {
    String ref = job.payloadRef().strip();
    String lower = ref.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      return Optional.empty();
    }
    URI uri;
    try {
      uri = URI.create(ref);
    } catch (IllegalArgumentException e) {
      throw new PluginFailure(ErrorCode.INVALID_INPUT, "payload_ref is not a valid URL");
    }
    Path target = workDir.resolve("input" + extension(uri));
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(timeout).build();
    try {
      HttpResponse<Path> response = http.send(request, HttpResponse.BodyHandlers.ofFile(target));
      if (response.statusCode() / 100 != 2) {
        Files.deleteIfExists(target);
        throw new PluginFailure(ErrorCode.INPUT_UNAVAILABLE, "could not download payload_ref " + UrlText.withoutQuery(ref) + ": HTTP " + response.statusCode());
      }
      return Optional.of(target);
    } catch (IOException e) {
      throw new PluginFailure(ErrorCode.INPUT_UNAVAILABLE, "could not download payload_ref " + UrlText.withoutQuery(ref) + ": " + e.getMessage());
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
