package com.rendertrust.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stripe for a browser, on one local port: the Checkout Session API (for RT_STRIPE_API_BASE) and
 * the hosted checkout page its {@code url} points to. "Pay" there does what Stripe does: it sends
 * the server the signed {@code checkout.session.completed} webhook, then sends the browser to the
 * session's {@code success_url}; "Cancel" goes to its {@code cancel_url}.
 */
final class FakeStripeCheckout implements AutoCloseable {

  private final HttpServer server;
  private final String webhookSecret;
  private final AtomicInteger sessions = new AtomicInteger();
  private final Map<String, Map<String, String>> forms = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile URI controlPlane;

  FakeStripeCheckout(String webhookSecret) throws IOException {
    this.webhookSecret = webhookSecret;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/v1/checkout/sessions", this::createSession);
    server.createContext("/pay/", this::checkoutPage);
    server.start();
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Where "Pay" sends the webhook (known once the server's port is). */
  void deliverWebhooksTo(URI serverBaseUrl) {
    this.controlPlane = serverBaseUrl;
  }

  private void createSession(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> form = parseForm(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String id = "cs_test_web_" + sessions.incrementAndGet();
      forms.put(id, form);
      respond(exchange, 200, "application/json", Rest.JSON.writeValueAsBytes(Map.of("id", id,
          "object", "checkout.session", "mode", "payment", "url", baseUrl() + "/pay/" + id,
          "payment_status", "unpaid", "status", "open")));
    }
  }

  private void checkoutPage(HttpExchange exchange) throws IOException {
    try (exchange) {
      String id = exchange.getRequestURI().getPath().substring("/pay/".length());
      Map<String, String> form = forms.get(id);
      if (form == null) {
        respond(exchange, 404, "text/plain", "no such session".getBytes(StandardCharsets.UTF_8));
        return;
      }
      long cents = Long.parseLong(form.getOrDefault("line_items[0][price_data][unit_amount]", "0"));
      String currency = form.getOrDefault("line_items[0][price_data][currency]", "usd");
      if ("POST".equals(exchange.getRequestMethod())) {
        int status = sendCompletedWebhook(id, form, cents, currency);
        if (status != 200) {
          respond(exchange, 502, "text/plain", ("the webhook answered " + status).getBytes(StandardCharsets.UTF_8));
          return;
        }
        exchange.getResponseHeaders().set("Location", form.get("success_url").replace("{CHECKOUT_SESSION_ID}", id));
        exchange.sendResponseHeaders(303, -1);
        return;
      }
      String page = """
          <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Stripe Checkout (test)</title>
          <link rel="icon" href="data:,"></head>
          <body><h1>Pay RenderTrust</h1><p>Amount: %s %s.%02d</p>
          <form method="post" action="/pay/%s"><button type="submit">Pay</button></form>
          <p><a href="%s">Cancel</a></p></body></html>
          """.formatted(currency.toUpperCase(), cents / 100, cents % 100, id, form.get("cancel_url"));
      respond(exchange, 200, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    }
  }

  private int sendCompletedWebhook(String id, Map<String, String> form, long cents, String currency) throws IOException {
    Map<String, Object> session = new LinkedHashMap<>();
    session.put("id", id);
    session.put("object", "checkout.session");
    session.put("payment_status", "paid");
    session.put("client_reference_id", form.get("client_reference_id"));
    session.put("amount_total", cents);
    session.put("currency", currency);
    session.put("metadata", Map.of("checkout_id", form.getOrDefault("metadata[checkout_id]", "")));
    String body = Rest.JSON.writeValueAsString(Map.of("id", "evt_web_" + id, "object", "event",
        "type", "checkout.session.completed", "livemode", false, "data", Map.of("object", session)));
    HttpRequest request = HttpRequest.newBuilder(controlPlane.resolve("/api/v1/webhooks/stripe"))
        .header("Content-Type", "application/json")
        .header("Stripe-Signature", StripeSignature.header(webhookSecret, body, Instant.now().getEpochSecond()))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static Map<String, String> parseForm(String body) {
    Map<String, String> form = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
      }
    }
    return form;
  }

  private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
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
