package com.rendertrust.server.webhooks;

import com.rendertrust.sdk.WebhookSignature;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A creator's webhook receiver: the JDK's HttpServer on 127.0.0.1, checking every request's
 * signature with the SDK's {@link WebhookSignature} against the secrets it was given (answering
 * 400 when none matches), then answering what {@code answer} says for the n-th request (1-based).
 */
final class TestReceiver implements AutoCloseable {

  /** One request as received. */
  record Received(String eventId, String signature, String body, boolean verified) {
  }

  private final HttpServer server;
  private final List<String> secrets = new CopyOnWriteArrayList<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> perEvent = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();

  private TestReceiver(HttpServer server) {
    this.server = server;
  }

  /** On {@code port} (0: any free one). */
  static TestReceiver start(int port, IntUnaryOperator answer) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 200);
      TestReceiver receiver = new TestReceiver(server);
      server.createContext("/hooks", exchange -> {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String eventId = exchange.getRequestHeaders().getFirst("RenderTrust-Event-Id");
        String signature = exchange.getRequestHeaders().getFirst("RenderTrust-Signature");
        boolean verified = receiver.secrets.stream()
            .anyMatch(secret -> WebhookSignature.verify(secret, signature, body, Duration.ofMinutes(5)));
        int n = receiver.requests.incrementAndGet();
        receiver.received.add(new Received(eventId, signature, new String(body, StandardCharsets.UTF_8), verified));
        int status = verified ? answer.applyAsInt(n) : 400;
        if (status / 100 == 2 && eventId != null) {
          receiver.perEvent.computeIfAbsent(eventId, id -> new AtomicInteger()).incrementAndGet();
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
      });
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Always 200. */
  static TestReceiver accepting(int port) {
    return start(port, n -> 200);
  }

  void trust(String secret) {
    secrets.add(secret);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  /** Event id to how many times it was accepted (a 2xx answer). */
  Map<String, Integer> accepted() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    perEvent.forEach((id, count) -> counts.put(id, count.get()));
    return counts;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
