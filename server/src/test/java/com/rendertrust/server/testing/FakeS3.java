package com.rendertrust.server.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A path-style S3 endpoint for one bucket that, unlike the usual local fakes, checks every
 * request's SigV4 presigned signature ({@link SigV4}, itself checked against AWS's published
 * example) and does what S3 does with {@code x-amz-checksum-sha256}: refuses a PUT whose body has
 * another SHA-256 (400 BadDigest), keeps the checksum, and returns it on a HEAD that asks with
 * {@code x-amz-checksum-mode: ENABLED}. Objects live in memory.
 */
public final class FakeS3 implements AutoCloseable {

  public static final String ACCESS_KEY = "AKIDFAKES3EXAMPLE";
  public static final String SECRET_KEY = "fake/s3/secret/key/for/tests/0123456789";

  private record StoredObject(byte[] body, Optional<String> checksum) {
  }

  private final String bucket;
  private final HttpServer server;
  private final Map<String, StoredObject> objects = new ConcurrentHashMap<>();
  private final AtomicInteger verified = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private FakeS3(String bucket, HttpServer server) {
    this.bucket = bucket;
    this.server = server;
  }

  public static FakeS3 start(String bucket) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      FakeS3 s3 = new FakeS3(bucket, server);
      server.createContext("/", s3::handle);
      server.start();
      return s3;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public Optional<byte[]> object(String key) {
    return Optional.ofNullable(objects.get(key)).map(StoredObject::body);
  }

  /** Requests whose signature checked out. */
  public int verifiedRequests() {
    return verified.get();
  }

  /** Requests refused for a bad or expired signature. */
  public int refusedRequests() {
    return refused.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      URI url = URI.create("http://" + exchange.getRequestHeaders().getFirst("Host") + exchange.getRequestURI());
      if (!SigV4.verify(method, url, name -> exchange.getRequestHeaders().getFirst(name), SECRET_KEY, Instant.now())
          || !url.getRawQuery().contains("X-Amz-Credential=" + ACCESS_KEY)) {
        refused.incrementAndGet();
        respond(exchange, 403, "SignatureDoesNotMatch");
        return;
      }
      verified.incrementAndGet();
      String prefix = "/" + bucket + "/";
      if (!url.getRawPath().startsWith(prefix)) {
        respond(exchange, 404, "NoSuchBucket");
        return;
      }
      String key = url.getRawPath().substring(prefix.length());
      switch (method) {
        case "PUT" -> put(exchange, key);
        case "HEAD" -> head(exchange, key);
        case "GET" -> get(exchange, key);
        case "DELETE" -> {
          objects.remove(key);
          exchange.sendResponseHeaders(204, -1);
        }
        default -> respond(exchange, 405, "MethodNotAllowed");
      }
    }
  }

  private void put(HttpExchange exchange, String key) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String checksum = exchange.getRequestHeaders().getFirst("x-amz-checksum-sha256");
    if (checksum != null && !checksum.equals(Base64.getEncoder().encodeToString(SigV4.sha256(body)))) {
      respond(exchange, 400, "BadDigest");
      return;
    }
    objects.put(key, new StoredObject(body, Optional.ofNullable(checksum)));
    exchange.sendResponseHeaders(200, -1);
  }

  private void head(HttpExchange exchange, String key) throws IOException {
    StoredObject object = objects.get(key);
    if (object == null) {
      exchange.sendResponseHeaders(404, -1);
      return;
    }
    exchange.getResponseHeaders().set("Content-Length", Integer.toString(object.body().length));
    if ("ENABLED".equals(exchange.getRequestHeaders().getFirst("x-amz-checksum-mode"))) {
      object.checksum().ifPresent(value -> exchange.getResponseHeaders().set("x-amz-checksum-sha256", value));
    }
    exchange.sendResponseHeaders(200, -1);
  }

  private void get(HttpExchange exchange, String key) throws IOException {
    StoredObject object = objects.get(key);
    if (object == null) {
      respond(exchange, 404, "NoSuchKey");
      return;
    }
    exchange.sendResponseHeaders(200, object.body().length);
    exchange.getResponseBody().write(object.body());
  }

  private static void respond(HttpExchange exchange, int status, String code) throws IOException {
    byte[] body = ("<Error><Code>" + code + "</Code></Error>").getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
