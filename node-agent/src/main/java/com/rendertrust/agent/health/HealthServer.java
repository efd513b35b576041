package com.rendertrust.agent.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agent's local HTTP endpoint for probes and {@code status}:
 * {@code GET /health} → {@code {"status","relay_connected","uptime_seconds","running_jobs"}} (always
 * 200 while the process works; {@code status} is "healthy", or "draining" during shutdown), and
 * {@code GET /status} → identity, connection and running jobs in detail; {@code GET /metrics} → the
 * agent's meters as Prometheus text ({@link AgentMetrics}).
 */
public final class HealthServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;
  private final ObjectMapper json = new ObjectMapper();

  public HealthServer(String bindAddress, int port, Supplier<Map<String, Object>> health,
      Supplier<Map<String, Object>> status) throws IOException {
    this(bindAddress, port, health, status, () -> "");
  }

  /** As above, with {@code GET /metrics} answering {@code metrics} (Prometheus text). */
  public HealthServer(String bindAddress, int port, Supplier<Map<String, Object>> health,
      Supplier<Map<String, Object>> status, Supplier<String> metrics) throws IOException {
    server = HttpServer.create(new InetSocketAddress(bindAddress, port), 16);
    executor = Executors.newFixedThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "health-http");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/metrics") && exchange.getRequestMethod().equals("GET")) {
          byte[] text = metrics.get().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          exchange.sendResponseHeaders(200, text.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(text);
          }
          return;
        }
        Supplier<Map<String, Object>> source = switch (path) {
          case "/health", "/healthz" -> health;
          case "/status" -> status;
          default -> null;
        };
        if (source == null) {
          respond(exchange, 404, Map.of("detail", "not found: try /health or /status"));
        } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
          exchange.getResponseHeaders().set("Allow", "GET, HEAD");
          respond(exchange, 405, Map.of("detail", "method not allowed"));
        } else {
          respond(exchange, 200, source.get());
        }
      } catch (RuntimeException e) {
        // a failed status read must not kill the endpoint
      }
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void respond(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
