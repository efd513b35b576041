package com.rendertrust.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outside world of the test, on one local HTTP port: Stripe's Checkout Session API (as
 * tools/fake-stripe.py answers it, for RT_STRIPE_API_BASE) and a file host for job inputs
 * ({@code payload_ref}).
 */
final class StripeStandIn implements AutoCloseable {

  /** What the server asked Stripe for: the form fields of one Checkout Session. */
  record CheckoutRequest(String sessionId, Map<String, String> form) {}

  private final HttpServer server;
  private final AtomicInteger sessions = new AtomicInteger();
  private final List<CheckoutRequest> checkouts = new CopyOnWriteArrayList<>();
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();

  StripeStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/v1/checkout/sessions", this::checkoutSession);
    server.createContext("/files/", this::file);
    server.start();
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Serves {@code bytes} at the returned URL. */
  URI host(String name, byte[] bytes) {
    files.put(name, bytes.clone());
    return baseUrl().resolve("/files/" + name);
  }

  List<CheckoutRequest> checkouts() {
    return List.copyOf(checkouts);
  }

  private void checkoutSession(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> form = new LinkedHashMap<>();
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      for (String pair : body.split("&")) {
        int equals = pair.indexOf('=');
        if (equals > 0) {
          form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
      }
      String id = "cs_test_e2e_" + sessions.incrementAndGet();
      checkouts.add(new CheckoutRequest(id, form));
      respond(exchange, 200, Rest.JSON.writeValueAsBytes(Map.of("id", id, "object", "checkout.session",
          "mode", "payment", "url", "https://checkout.stripe.test/pay/" + id, "payment_status", "unpaid",
          "status", "open")));
    }
  }

  private void file(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] bytes = files.get(exchange.getRequestURI().getPath().substring("/files/".length()));
      if (bytes == null) {
        respond(exchange, 404, "not found".getBytes(StandardCharsets.UTF_8));
      } else {
        respond(exchange, 200, bytes);
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
