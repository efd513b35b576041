package com.rendertrust.agent.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST DOUBLE of the result store behind presigned URLs: {@code PUT /results/<key>?sig=…} stores
 * the body byte for byte, {@code GET /inputs/<key>} serves input files. Can answer the next
 * uploads with an error status, to exercise the agent's retry and failure paths.
 */
public final class PresignedStore implements AutoCloseable {

  /** One PUT as the store saw it; header names in lower case. */
  public record Upload(String key, String contentType, Map<String, String> headers, byte[] body) {}

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor = Executors.newFixedThreadPool(4);
  private final Map<String, byte[]> results = new ConcurrentHashMap<>();
  private final Map<String, byte[]> inputs = new ConcurrentHashMap<>();
  private final List<Upload> uploads = new CopyOnWriteArrayList<>();
  private final List<String> inputRequests = new CopyOnWriteArrayList<>();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile int failureStatus = 500;

  public PresignedStore() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 32);
    server.setExecutor(executor);
    server.createContext("/results/", exchange -> {
      try (exchange) {
        String key = exchange.getRequestURI().getPath().substring("/results/".length());
        if (!exchange.getRequestMethod().equals("PUT") || exchange.getRequestURI().getQuery() == null
            || !exchange.getRequestURI().getQuery().startsWith("sig=")) {
          exchange.sendResponseHeaders(403, -1);
          return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readAllBytes();
        }
        if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          byte[] message = "<Error>try later</Error>".getBytes();
          exchange.sendResponseHeaders(failureStatus, message.length);
          exchange.getResponseBody().write(message);
          return;
        }
        results.put(key, body);
        Map<String, String> headers = new java.util.TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values.get(0)));
        uploads.add(new Upload(key, exchange.getRequestHeaders().getFirst("Content-Type"), headers, body));
        exchange.sendResponseHeaders(200, -1);
      }
    });
    server.createContext("/inputs/", exchange -> {
      try (exchange) {
        String name = exchange.getRequestURI().getPath().substring("/inputs/".length());
        inputRequests.add(name + " Host: " + exchange.getRequestHeaders().getFirst("Host"));
        String redirect = redirects.get(name);
        if (redirect != null) {
          exchange.getResponseHeaders().set("Location", redirect);
          exchange.sendResponseHeaders(302, -1);
          return;
        }
        byte[] body = inputs.get(name);
        if (body == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    server.start();
  }

  /** A presigned-looking PUT URL for {@code key}. */
  public String uploadUrl(String key) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/results/" + key + "?sig=test-signature&expires=600";
  }

  public String inputUrl(String name) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/inputs/" + name;
  }

  /** The input URL of {@code name} with another host name for this store (it listens on 127.0.0.1). */
  public String inputUrl(String host, String name) {
    return "http://" + host + ":" + server.getAddress().getPort() + "/inputs/" + name;
  }

  /** {@code GET /inputs/<name>} answers 302 to {@code location}. */
  public void redirectInput(String name, String location) {
    redirects.put(name, location);
  }

  /** Every input GET so far, as {@code "<name> Host: <host header>"}. */
  public List<String> inputRequests() {
    return List.copyOf(inputRequests);
  }

  public void putInput(String name, byte[] body) {
    inputs.put(name, body);
  }

  public Optional<byte[]> result(String key) {
    return Optional.ofNullable(results.get(key));
  }

  /** The last upload stored under {@code key}. */
  public Optional<Upload> upload(String key) {
    return uploads.stream().filter(upload -> upload.key().equals(key)).reduce((first, second) -> second);
  }

  public List<Upload> uploads() {
    return List.copyOf(uploads);
  }

  /** The next {@code count} uploads are answered with {@code status}. */
  public void failNextUploads(int count, int status) {
    failureStatus = status;
    failuresLeft.set(count);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
