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
 * Downloads a job's input into its work dir. A server-issued {@code input_url} (a presigned GET
 * of an upload or of the server's bucket) is trusted and fetched as is, even on localhost in
 * development. A user-chosen {@code payload_ref} that is an http(s) URL goes through
 * {@link PinnedDownload}, which refuses private addresses. Other references (s3://, ipfs://) need
 * credentials the agent does not have; they are handed to the plugin unchanged
 * ({@code {payload_ref}}).
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
      URI uri = parse("input_url", job.inputUrl().strip());
      Path target = workDir.resolve("input" + extension(uri));
      fetchTrusted(uri, target, timeout);
      return Optional.of(target);
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

  private void fetchTrusted(URI uri, Path target, Duration timeout) throws PluginFailure, InterruptedException {
    String shown = "input_url " + UrlText.withoutQuery(uri.toString());
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(timeout).build();
    try {
      HttpResponse<Path> response = http.send(request, HttpResponse.BodyHandlers.ofFile(target));
      if (response.statusCode() / 100 != 2) {
        Files.deleteIfExists(target);
        throw PluginFailure.inputUnavailable("could not download " + shown + ": HTTP " + response.statusCode());
      }
    } catch (IOException e) {
      throw PluginFailure.inputUnavailable("could not download " + shown + ": " + e.getMessage());
    }
  }

  private static URI parse(String field, String url) throws PluginFailure {
    try {
      return new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw PluginFailure.invalidInput(field + " is not a valid URL");
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
