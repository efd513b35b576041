package com.rendertrust.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.platform.errors.DomainException;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Configuration, backoff, and the pinned client: DNS rebinding, no redirects, 1 KiB answers, the timeout. */
class WebhookRulesTest {

  private HttpServer receiver;
  private final List<String> hits = new CopyOnWriteArrayList<>();
  private final List<String> hosts = new CopyOnWriteArrayList<>();
  /** The client's address and port of each request: the same for requests on one connection. */
  private final List<String> clients = new CopyOnWriteArrayList<>();
  /** What the made-up names resolve to right now. */
  private final AtomicReference<String> resolvesTo = new AtomicReference<>("93.184.215.14");

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    receiver.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      hits.add(path);
      hosts.add(exchange.getRequestHeaders().getFirst("Host"));
      clients.add(exchange.getRemoteAddress().toString());
      exchange.getRequestBody().readAllBytes();
      switch (path) {
        case "/redirect" -> {
          exchange.getResponseHeaders().add("Location", "/elsewhere");
          exchange.sendResponseHeaders(302, -1);
        }
        case "/big" -> {
          byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, 0);
          try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < 160; i++) { // 10 MiB, of which the client reads at most 1 KiB
              out.write(chunk);
            }
          } catch (IOException closedByTheClient) {
            // expected: the client stops reading
          }
        }
        case "/slow" -> {
          try {
            Thread.sleep(4_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(200, -1);
        }
        default -> exchange.sendResponseHeaders(204, -1);
      }
      exchange.close();
    });
    receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private InetAddress[] resolve(String host) throws UnknownHostException {
    if (host.endsWith(".example")) {
      return new InetAddress[] {InetAddress.getByName(resolvesTo.get())};
    }
    throw new UnknownHostException(host);
  }

  private PinnedPoster poster(boolean allowPrivate, Duration timeout) {
    return new PinnedPoster(new WebhookUrls(true, allowPrivate, this::resolve),
        (SSLSocketFactory) SSLSocketFactory.getDefault(), timeout);
  }

  private String url(String host, String path) {
    return "http://" + host + ":" + receiver.getAddress().getPort() + path;
  }

  @Test
  void devAllowsLocalReceiversAndTheVariablesAreRead() {
    WebhooksConfig dev = new ConfigLoader(Map.of()).load(true).webhooks();
    assertThat(dev.allowHttp()).isTrue();
    assertThat(dev.allowPrivate()).isTrue();
    WebhooksConfig production = new ConfigLoader(Map.of()).load(false).webhooks();
    assertThat(production.allowHttp()).isFalse();
    assertThat(production.allowPrivate()).isFalse();
    assertThat(production.retryBase()).isEqualTo(Duration.ofSeconds(10));
    assertThat(production.retryCap()).isEqualTo(Duration.ofHours(1));
    assertThat(production.retryWindow()).isEqualTo(Duration.ofHours(24));
    assertThat(production.disableAfter()).isEqualTo(Duration.ofHours(72));
    assertThat(production.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
    WebhooksConfig set = new ConfigLoader(Map.of("RT_WEBHOOK_ALLOW_HTTP", "false", "RT_WEBHOOK_RETRY_BASE_SECONDS", "3",
        "RT_WEBHOOK_DISABLE_AFTER_HOURS", "5")).load(true).webhooks();
    assertThat(set.allowHttp()).isFalse();
    assertThat(set.allowPrivate()).isTrue();
    assertThat(set.retryBase()).isEqualTo(Duration.ofSeconds(3));
    assertThat(set.disableAfter()).isEqualTo(Duration.ofHours(5));
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_WEBHOOK_RETRY_BASE_SECONDS", "0")).load(true))
        .hasMessageContaining("RT_WEBHOOK_RETRY_BASE_SECONDS");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_WEBHOOK_ALLOW_PRIVATE", "maybe")).load(true))
        .hasMessageContaining("RT_WEBHOOK_ALLOW_PRIVATE");
  }

  @Test
  void backoffDoublesWithJitterInItsUpperHalfAndIsCappedAtOneHour() {
    DeliveryWorker worker = new DeliveryWorker(null, null, WebhooksConfig.defaults(), Clock.systemUTC());
    for (int attempt = 1; attempt <= 40; attempt++) {
      long full = Math.min(3_600_000L, 10_000L << Math.min(attempt - 1, 20));
      for (int sample = 0; sample < 50; sample++) {
        long delay = worker.backoff(attempt).toMillis();
        assertThat(delay).as("attempt %d", attempt).isBetween(full / 2, full);
      }
    }
    assertThat(worker.backoff(1).toMillis()).isBetween(5_000L, 10_000L);
    assertThat(worker.backoff(100)).isLessThanOrEqualTo(Duration.ofHours(1));
  }

  @Test
  void aNameThatRebindsToAPrivateAddressAfterTheCheckIsRefusedAtTheAttempt() {
    WebhookUrls urls = new WebhookUrls(true, false, this::resolve);
    resolvesTo.set("93.184.215.14");
    assertThat(urls.validate(url("hooks.example", "/hooks")).getHost()).isEqualTo("hooks.example");
    resolvesTo.set("127.0.0.1"); // the rebinding
    assertThatThrownBy(() -> urls.validate(url("hooks.example", "/hooks"))).isInstanceOf(DomainException.class);
    PinnedPoster.Outcome outcome = poster(false, Duration.ofSeconds(5)).post(url("hooks.example", "/hooks"), Map.of(),
        new byte[0]);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.error()).contains("loopback");
    assertThat(hits).isEmpty();
  }

  @Test
  void theAttemptConnectsToTheCheckedAddressAndSendsTheNameAsHost() {
    resolvesTo.set("127.0.0.1");
    PinnedPoster.Outcome outcome = poster(true, Duration.ofSeconds(5)).post(url("receiver.example", "/hooks"),
        Map.of("RenderTrust-Event-Id", "evt_1"), "{}".getBytes(StandardCharsets.UTF_8));
    assertThat(outcome.status()).isEqualTo(204);
    assertThat(outcome.succeeded()).isTrue();
    assertThat(hosts).containsExactly("receiver.example:" + receiver.getAddress().getPort());
  }

  @Test
  void redirectsAreNotFollowedAndCountAsFailures() {
    PinnedPoster.Outcome outcome = poster(true, Duration.ofSeconds(5)).post(url("127.0.0.1", "/redirect"), Map.of(),
        new byte[0]);
    assertThat(outcome.status()).isEqualTo(302);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.error()).isEqualTo("HTTP 302");
    assertThat(hits).containsExactly("/redirect");
  }

  @Test
  void aHugeAnswerIsNotReadBeyondItsStart() {
    PinnedPoster poster = poster(true, Duration.ofSeconds(5));
    PinnedPoster.Outcome outcome = poster.post(url("127.0.0.1", "/big"), Map.of(), new byte[0]);
    assertThat(outcome.status()).isEqualTo(200);
    assertThat(outcome.succeeded()).isTrue();
    assertThat(poster.idleConnections()).as("an answer not read to its end closes its connection").isZero();
  }

  @Test
  void aKeptConnectionCarriesTheNextAttemptOnlyToTheAddressCheckedForIt() {
    resolvesTo.set("127.0.0.1");
    PinnedPoster poster = poster(true, Duration.ofSeconds(5));
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    assertThat(poster.post(url("receiver.example", "/hooks"), Map.of(), body).status()).isEqualTo(204);
    assertThat(poster.idleConnections()).isEqualTo(1);
    assertThat(poster.post(url("receiver.example", "/hooks"), Map.of(), body).status()).isEqualTo(204);
    assertThat(clients).hasSize(2);
    assertThat(clients.get(1)).as("the second request on the first one's connection").isEqualTo(clients.get(0));

    resolvesTo.set("127.0.0.2"); // the name moved: the connection to 127.0.0.1 must not carry it
    PinnedPoster.Outcome moved = poster.post(url("receiver.example", "/hooks"), Map.of(), body);
    assertThat(moved.succeeded()).as("nothing listens on 127.0.0.2").isFalse();
    assertThat(hits).hasSize(2);
    poster.close();
    assertThat(poster.idleConnections()).isZero();
  }

  @Test
  void noAnswerWithinTheTimeoutIsAFailure() {
    PinnedPoster.Outcome outcome = poster(true, Duration.ofSeconds(1)).post(url("127.0.0.1", "/slow"), Map.of(),
        new byte[0]);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.status()).isZero();
    assertThat(outcome.error()).contains("timed out");
  }
}
