package com.rendertrust.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** Plain HTTP/JSON calls, as a creator's curl script makes them (docs/API.md). */
final class Rest {

  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final URI base;

  Rest(URI base) {
    this.base = base;
  }

  URI base() {
    return base;
  }

  /** A response whatever its status: tests assert on both. */
  record Response(int status, byte[] body) {

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (HTTP " + status + "): " + text(), e);
      }
    }

    /** The JSON body, after checking the status; the message names what was asked. */
    JsonNode expect(int expectedStatus, String what) {
      if (status != expectedStatus) {
        throw new AssertionError(what + ": expected HTTP " + expectedStatus + ", got " + status + ": " + text());
      }
      return json();
    }
  }

  Response get(String path, String bearer) {
    return send(request(path, bearer).GET());
  }

  Response post(String path, String bearer, Object body) {
    return post(path, bearer, body, Map.of());
  }

  Response post(String path, String bearer, Object body, Map<String, String> headers) {
    try {
      byte[] bytes = body instanceof String text ? text.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
      HttpRequest.Builder request = request(path, bearer)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
      headers.forEach(request::header);
      return send(request);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A presigned PUT the server handed out (an upload), with the headers it asked for; the
   * client sets Content-Length and Host itself.
   */
  Response put(URI url, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach((name, value) -> {
      if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("host")) {
        request.header(name, value);
      }
    });
    return send(request);
  }

  /** A URL the server handed out (a presigned download), fetched as any HTTP client would. */
  Response fetch(URI url) {
    return send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).GET());
  }

  private HttpRequest.Builder request(String path, String bearer) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return request;
  }

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("HTTP call failed: " + request.build().uri(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
