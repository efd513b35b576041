package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobStoppedException;
import com.rendertrust.agent.plugins.PluginFailure;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads a result file, byte for byte, with HTTP PUT to the job's presigned URL. Network errors
 * and 5xx answers are retried with a doubling pause (from {@code retryDelay}, at most 30 s) for as
 * long as {@code retryWindow} allows: the result is finished work, and the store is often the
 * control plane itself, so a server restart must not fail a job that completed meanwhile (three
 * quick attempts used to). The job's time limit and a cancel still end the wait at once. A 4xx
 * (expired or wrong signature) is final. A single result is sent as {@code application/octet-stream}:
 * a presigned URL that signs a content type expects a fixed one, and the bytes are what matters.
 * The outputs of a task go each to its own target, with the headers the dispatch names for it.
 */
public final class ResultUploader {

  private static final Logger log = LoggerFactory.getLogger(ResultUploader.class);
  private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
  /** Headers the HTTP client sets itself and refuses to take from the caller. */
  private static final Set<String> SET_BY_THE_CLIENT = Set.of("host", "content-length", "connection", "expect", "upgrade");

  private final HttpClient http;
  private final Duration requestTimeout;
  private final Duration retryDelay;
  private final Duration retryWindow;
  private final LongConsumer uploaded;
  private final BiFunction<JobSpec, String, Runnable> traced;

  public ResultUploader(HttpClient http, Duration requestTimeout, Duration retryDelay, Duration retryWindow) {
    this(http, requestTimeout, retryDelay, retryWindow, bytes -> { }, (job, what) -> () -> { });
  }

  /**
   * {@code uploaded}: told the size of each file once its upload succeeded (the agent's upload-bytes
   * counter); {@code traced}: starts a span for one upload of a job and answers what ends it.
   */
  public ResultUploader(HttpClient http, Duration requestTimeout, Duration retryDelay, Duration retryWindow,
      LongConsumer uploaded, BiFunction<JobSpec, String, Runnable> traced) {
    this.uploaded = uploaded;
    this.traced = traced;
    this.http = http;
    this.requestTimeout = requestTimeout;
    this.retryDelay = retryDelay;
    this.retryWindow = retryWindow;
  }

  /** @return the result reference to report: the upload URL without its (credential-bearing) query */
  public String upload(Path file, JobContext context) throws PluginFailure, JobStoppedException, InterruptedException {
    String url = context.job().uploadUrl();
    if (url.isBlank()) {
      throw new PluginFailure("the dispatch carried no upload_url, so the result cannot be delivered");
    }
    put(url, Map.of("Content-Type", "application/octet-stream"), file, "result", context);
    return UrlText.withoutQuery(url);
  }

  /**
   * Uploads one output of a task to its own presigned PUT with the headers the server asked for.
   * When those name no content type, the output's own type is sent (a URL that signs one names it).
   */
  public void uploadOutput(Path file, OutputTarget target, String contentType, JobContext context)
      throws PluginFailure, JobStoppedException, InterruptedException {
    if (target.uploadUrl().isBlank()) {
      throw new PluginFailure("the output target of frame " + target.frame() + " has no upload_url");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    boolean namesContentType = target.uploadHeaders().keySet().stream().anyMatch(name -> name.equalsIgnoreCase("content-type"));
    if (!namesContentType) {
      headers.put("Content-Type", contentType);
    }
    target.uploadHeaders().forEach((name, value) -> {
      if (!SET_BY_THE_CLIENT.contains(name.toLowerCase(Locale.ROOT))) {
        headers.put(name, value);
      }
    });
    put(target.uploadUrl(), headers, file, "output " + target.name(), context);
  }

  private void put(String url, Map<String, String> headers, Path file, String what, JobContext context)
      throws PluginFailure, JobStoppedException, InterruptedException {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new PluginFailure("the upload URL of the " + what + " is not a valid URL");
    }
    Runnable endSpan = traced.apply(context.job(), what);
    try {
      putTraced(uri, url, headers, file, what, context);
    } finally {
      endSpan.run();
    }
  }

  private void putTraced(URI uri, String url, Map<String, String> headers, Path file, String what, JobContext context)
      throws PluginFailure, JobStoppedException, InterruptedException {
    String shownUrl = UrlText.withoutQuery(url);
    String lastProblem = "";
    long giveUpAt = System.nanoTime() + retryWindow.toNanos();
    Duration pause = retryDelay;
    for (int attempt = 1; ; attempt++) {
      context.checkStillWanted();
      try {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
            .timeout(requestTimeout)
            .PUT(HttpRequest.BodyPublishers.ofFile(file));
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        int status = response.statusCode();
        if (status / 100 == 2) {
          uploaded.accept(java.nio.file.Files.size(file));
          if (attempt > 1) {
            log.info("{}: {} uploaded at attempt {}", context.job().label(), what, attempt);
          }
          return;
        }
        lastProblem = "HTTP " + status + snippet(response.body());
        if (status / 100 == 4) {
          throw new PluginFailure(what + " upload to " + shownUrl + " was refused: " + lastProblem);
        }
      } catch (FileNotFoundException e) {
        throw new PluginFailure("the plugin's " + what + " file " + file.getFileName() + " is missing");
      } catch (IllegalArgumentException e) {
        throw new PluginFailure("the upload headers of the " + what + " are not valid HTTP headers: " + e.getMessage());
      } catch (IOException e) {
        lastProblem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
      long left = giveUpAt - System.nanoTime();
      if (left <= 0) {
        throw new PluginFailure(what + " upload to " + shownUrl + " failed after " + attempt + " attempts in "
            + retryWindow.toSeconds() + " s: " + lastProblem);
      }
      Duration wait = pause.compareTo(Duration.ofNanos(left)) < 0 ? pause : Duration.ofNanos(left);
      log.warn("{}: {} upload attempt {} failed: {}; retrying in {} ms", context.job().label(), what, attempt,
          lastProblem, wait.toMillis());
      Thread.sleep(wait.toMillis());
      pause = pause.multipliedBy(2).compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : pause.multipliedBy(2);
    }
  }

  private static String snippet(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String oneLine = body.strip().replaceAll("\\s+", " ");
    return " " + (oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine);
  }
}
