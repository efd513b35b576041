package com.rendertrust.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;

/** A creator's side of the uploads API over REST, for tests: declare, PUT, complete. */
public final class TestUploads {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final TestServer server;

  public TestUploads(TestServer server) {
    this.server = server;
  }

  public static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<String> create(UUID user, String filename, long size, String sha256) {
    return server.postJson("/api/v1/uploads", "{\"filename\":\"" + filename + "\",\"size_bytes\":" + size
        + ",\"sha256\":\"" + sha256 + "\",\"content_type\":\"application/octet-stream\"}", auth(user));
  }

  /** Declares {@code bytes} (201 expected) and returns the response body. */
  public JsonNode declare(UUID user, String filename, byte[] bytes) {
    HttpResponse<String> response = create(user, filename, bytes.length, sha256(bytes));
    if (response.statusCode() != 201) {
      throw new AssertionError("create upload answered " + response.statusCode() + ": " + response.body());
    }
    return Json.parse(response.body());
  }

  /** PUTs {@code bytes} to a created upload's URL with its headers; the HTTP status. */
  public static int put(JsonNode created, byte[] bytes) {
    return put(URI.create(created.get("upload_url").asText()), created.get("upload_headers"), bytes);
  }

  public static int put(URI url, JsonNode headers, byte[] bytes) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
    headers.properties().forEach(header -> request.header(header.getKey(), header.getValue().asText()));
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<String> complete(UUID user, String uploadId) {
    return server.postJson("/api/v1/uploads/" + uploadId + "/complete", "{}", auth(user));
  }

  public HttpResponse<String> get(UUID user, String uploadId) {
    return server.get("/api/v1/uploads/" + uploadId, auth(user));
  }

  public HttpResponse<String> delete(UUID user, String uploadId) {
    return server.delete("/api/v1/uploads/" + uploadId, auth(user));
  }

  /** Declares, PUTs and completes {@code bytes}; the READY upload's id. */
  public String ready(UUID user, String filename, byte[] bytes) {
    JsonNode created = declare(user, filename, bytes);
    if (put(created, bytes) != 200) {
      throw new AssertionError("PUT of the upload failed");
    }
    String id = created.get("upload").get("id").asText();
    HttpResponse<String> completed = complete(user, id);
    if (completed.statusCode() != 200) {
      throw new AssertionError("complete answered " + completed.statusCode() + ": " + completed.body());
    }
    return id;
  }

  public static HttpResponse<byte[]> download(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String[] auth(UUID user) {
    return new String[] {"Authorization", JobsTesting.userBearer(server, user)};
  }
}
