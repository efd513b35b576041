package com.rendertrust.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JSON-RPC proxy between the code under test and a real anvil that injects network faults:
 * the endpoint going away (connection refused), a broadcast that never reaches the node, and a
 * broadcast that reaches it while its answer is lost.
 */
public final class ChainFaultProxy implements AutoCloseable {

  public enum Mode {
    FORWARD,
    /** eth_sendRawTransaction is answered 502 and NOT forwarded: the transaction never reaches the node. */
    SWALLOW_BROADCASTS,
    /** eth_sendRawTransaction is forwarded, then answered 502: the node has it, the client thinks it failed. */
    LOSE_BROADCAST_RESPONSES
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String target;
  private int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicInteger broadcastsSeen = new AtomicInteger();
  private volatile Mode mode = Mode.FORWARD;
  private HttpServer server;

  private ChainFaultProxy(String target) {
    this.target = target;
  }

  /** A proxy in front of {@code targetRpcUrl}, listening on a free loopback port it keeps across down/up. */
  public static ChainFaultProxy in(String targetRpcUrl) {
    ChainFaultProxy proxy = new ChainFaultProxy(targetRpcUrl);
    proxy.up();
    return proxy;
  }

  public synchronized String rpcUrl() {
    return "http://127.0.0.1:" + port;
  }

  public void mode(Mode newMode) {
    mode = newMode;
  }

  public int broadcastsSeen() {
    return broadcastsSeen.get();
  }

  /** The endpoint disappears: connections are refused until {@link #up()}. */
  public synchronized void down() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Listening again, on the same port. */
  public synchronized void up() {
    if (server != null) {
      return;
    }
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("could not listen on " + port, e);
    }
    port = server.getAddress().getPort();
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      JsonNode request = JSON.readTree(body);
      boolean broadcast = request.isObject() && "eth_sendRawTransaction".equals(request.path("method").asText());
      if (broadcast) {
        broadcastsSeen.incrementAndGet();
      }
      Mode current = mode;
      if (broadcast && current == Mode.SWALLOW_BROADCASTS) {
        exchange.sendResponseHeaders(502, -1);
        return;
      }
      HttpResponse<byte[]> forwarded;
      try {
        forwarded = http.send(HttpRequest.newBuilder(URI.create(target))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.sendResponseHeaders(502, -1);
        return;
      } catch (IOException e) {
        exchange.sendResponseHeaders(502, -1);
        return;
      }
      if (broadcast && current == Mode.LOSE_BROADCAST_RESPONSES) {
        exchange.sendResponseHeaders(502, -1);
        return;
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(forwarded.statusCode(), forwarded.body().length);
      exchange.getResponseBody().write(forwarded.body());
    }
  }

  @Override
  public void close() {
    down();
  }
}
