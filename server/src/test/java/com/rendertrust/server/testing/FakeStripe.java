package com.rendertrust.server.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.StripeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Stripe API (JDK HTTP server): answers {@code POST /v1/checkout/sessions}
 * with a new session, or with an error status while told to fail, and records every request so
 * tests can assert exactly what was (or was not) sent.
 */
public final class FakeStripe implements AutoCloseable {

  /** One request as received: form fields decoded ({@code line_items[0][quantity]} style keys). */
  public record Request(String method, String path, Map<String, String> headers, Map<String, String> form) {

    public String header(String name) {
      return headers.get(name.toLowerCase());
    }
  }

  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger sessions = new AtomicInteger();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile int failureStatus = 500;

  private FakeStripe(HttpServer server) {
    this.server = server;
  }

  public static FakeStripe start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      FakeStripe fake = new FakeStripe(server);
      server.createContext("/", fake::handle);
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.start();
      return fake;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The secret API key {@link #creditsConfig()} gives the server. */
  public static final String SECRET_KEY = "sk_test_fake_key";

  /**
   * Default credit settings with Stripe pointed here: API key {@link #SECRET_KEY}, webhooks
   * verified with {@link StripeWebhooks#SECRET}.
   */
  public CreditsConfig creditsConfig() {
    return CreditsConfig.defaults().withStripe(StripeConfig.disabled().withSecretKey(SECRET_KEY)
        .withWebhookSecrets(List.of(StripeWebhooks.SECRET)).withApiBase(baseUri()));
  }

  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The next {@code count} requests answer {@code status} with a Stripe error body. */
  public void failNext(int count, int status) {
    failureStatus = status;
    failuresLeft.set(count);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), values.getFirst()));
    requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers, form(body)));

    if (failuresLeft.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
      respond(exchange, failureStatus, """
          {"error":{"type":"api_error","message":"fake failure"}}""");
      return;
    }
    if ("POST".equals(exchange.getRequestMethod()) && "/v1/checkout/sessions".equals(exchange.getRequestURI().getPath())) {
      String id = "cs_test_fake" + sessions.incrementAndGet();
      respond(exchange, 200, """
          {"id":"%s","object":"checkout.session","url":"https://checkout.stripe.test/c/pay/%s","mode":"payment",
           "payment_status":"unpaid","status":"open"}""".formatted(id, id));
      return;
    }
    respond(exchange, 404, """
        {"error":{"type":"invalid_request_error","message":"no such route in the fake"}}""");
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Request-Id", "req_fake");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static Map<String, String> form(String body) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (body.isEmpty()) {
      return fields;
    }
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      fields.put(key, value);
    }
    return fields;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
