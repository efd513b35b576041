package com.rendertrust.bench;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.webhooks.CreatedEndpoint;
import com.sun.net.httpserver.HttpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Webhook deliveries per second to a local receiver, next to two same-run baselines: raw HTTP
 * POSTs per second from the same number of concurrent senders to the same receiver, one with a
 * new connection per request, one on kept-alive connections as the worker now uses them (so the
 * baselines are the ceilings of the loopback, the receiver and each connection pattern, without
 * the outbox).
 *
 * <p>A backlog of {@code --events} deliveries (each a realistic job event body) is written to
 * the outbox while the endpoint is disabled; enabling it starts the clock, and the run ends when
 * no delivery is PENDING (then every one must be SUCCEEDED). Each delivery is a full attempt: a
 * lease (FOR UPDATE SKIP LOCKED, in batches), the signed POST through the SSRF-pinned client,
 * and the fenced outcome write (in batches).
 *
 * <p>Usage: {@code bench/run-webhooks.sh [--events 20000] [--concurrency 32] [--seconds 15]
 * [--pool 32]}. Prints one VERDICT line (goal: at least 500 deliveries/s).
 */
public final class WebhooksBenchmark {

  private static final double GOAL = 500;

  public static void main(String[] args) throws Exception {
    int events = 20_000;
    int concurrency = 32;
    int seconds = 15;
    int pool = 32;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--events" -> events = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--pool" -> pool = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    AtomicLong received = new AtomicLong();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    receiver.createContext("/hooks", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      received.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    receiver.start();
    int port = receiver.getAddress().getPort();
    String body = sampleBody();

    Path dataDir = Files.createTempDirectory("rendertrust-bench");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300")
        .setServerConfig("shared_buffers", "256MB").start()) {
      ServerConfig config = BenchSetup.serverConfig(dataDir, postgres, pool, JobsConfig.defaults())
          .withWebhooks(new WebhooksConfig(true, true, Duration.ofSeconds(10), Duration.ofHours(1),
              Duration.ofHours(24), Duration.ofHours(72), Duration.ofSeconds(10), Duration.ofMillis(200), concurrency));
      try (ControlPlane server = ControlPlane.start(config)) {
        // warm-up of both paths (JIT, connections, pool)
        rawPosts(port, body, concurrency, Duration.ofSeconds(3), false);
        rawPosts(port, body, concurrency, Duration.ofSeconds(2), true);
        UUID user = UUID.randomUUID();
        CreatedEndpoint warm = server.webhooks().service().create(user, "http://127.0.0.1:" + port + "/hooks",
            List.of("job.completed"), "bench warm-up");
        drain(postgres, warm.endpoint().id(), 2_000, body);

        String loadBefore = LoadAverage.now();
        double baseline = rawPosts(port, body, concurrency, Duration.ofSeconds(seconds), false);
        double keptAlive = rawPosts(port, body, concurrency, Duration.ofSeconds(seconds), true);
        CreatedEndpoint endpoint = server.webhooks().service().create(user, "http://127.0.0.1:" + port + "/hooks",
            List.of("job.completed"), "bench");
        long before = received.get();
        double deliveries = drain(postgres, endpoint.endpoint().id(), events, body);
        long posts = received.get() - before;
        System.out.printf(Locale.ROOT, "baseline raw HTTP POSTs/s (%d senders, new connection each): %.0f%n",
            concurrency, baseline);
        System.out.printf(Locale.ROOT, "baseline raw HTTP POSTs/s (%d senders, kept-alive connections): %.0f%n",
            concurrency, keptAlive);
        System.out.printf(Locale.ROOT, "webhook deliveries/s (%d deliveries, concurrency %d, pool %d): %.0f"
            + " (receiver got %d requests)%n", events, concurrency, pool, deliveries, posts);
        System.out.printf(Locale.ROOT, "load average (1/5/15 min): %s at the start, %s at the end%n", loadBefore,
            LoadAverage.now());
        System.out.printf(Locale.ROOT, "VERDICT: webhook deliveries %.0f/s, goal >= %.0f/s: %s; %.2f of the raw"
            + " POST baseline (%.0f/s, new connection each), %.2f of raw POSTs on kept-alive connections (%.0f/s)%n",
            deliveries, GOAL, deliveries >= GOAL ? "PASS" : "FAIL", deliveries / baseline, baseline,
            deliveries / keptAlive, keptAlive);
        if (posts < events) {
          System.out.println("LOST: the receiver got fewer requests than deliveries");
          System.exit(1);
        }
      }
    } finally {
      receiver.stop(0);
      BenchSetup.deleteQuietly(dataDir);
    }
  }

  /**
   * Writes {@code count} PENDING deliveries of distinct events to the disabled endpoint, enables
   * it, and waits until all of them SUCCEEDED; deliveries per second from enabling to the last.
   */
  private static double drain(EmbeddedPostgres postgres, UUID endpoint, int count, String body) throws Exception {
    try (Connection db = postgres.getPostgresDatabase().getConnection()) {
      try (PreparedStatement disable = db.prepareStatement("UPDATE webhook_endpoints SET enabled = false WHERE id = ?")) {
        disable.setObject(1, endpoint);
        disable.executeUpdate();
      }
      try (PreparedStatement backlog = db.prepareStatement("""
          WITH events AS (
            INSERT INTO webhook_events (id, user_id, type, body, created_at)
            SELECT 'evt_' || md5(random()::text || g), (SELECT user_id FROM webhook_endpoints WHERE id = ?),
                   'job.completed', ?, now()
            FROM generate_series(1, ?) g
            RETURNING id)
          INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, retry_until, created_at)
          SELECT gen_random_uuid(), ?, id, 'PENDING', 0, now(), now() + interval '24 hours', now() FROM events""")) {
        backlog.setObject(1, endpoint);
        backlog.setString(2, body);
        backlog.setInt(3, count);
        backlog.setObject(4, endpoint);
        backlog.executeUpdate();
      }
      long start = System.nanoTime();
      try (PreparedStatement enable = db.prepareStatement("UPDATE webhook_endpoints SET enabled = true WHERE id = ?")) {
        enable.setObject(1, endpoint);
        enable.executeUpdate();
      }
      // the clock stops when no delivery is PENDING any more (a count over the partial index of
      // pending rows, cheap next to the worker); then every one must be SUCCEEDED
      double perSecond;
      while (true) {
        try (PreparedStatement pending = db.prepareStatement(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING' AND endpoint_id = ?")) {
          pending.setObject(1, endpoint);
          try (ResultSet row = pending.executeQuery()) {
            row.next();
            if (row.getLong(1) == 0) {
              perSecond = count / ((System.nanoTime() - start) / 1e9);
              break;
            }
          }
        }
        Thread.sleep(20);
      }
      try (PreparedStatement outcome = db.prepareStatement(
          "SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status = 'FAILED')"
              + " FROM webhook_deliveries WHERE endpoint_id = ?")) {
        outcome.setObject(1, endpoint);
        try (ResultSet row = outcome.executeQuery()) {
          row.next();
          if (row.getLong(2) > 0 || row.getLong(1) != count) {
            throw new IllegalStateException(row.getLong(2) + " deliveries FAILED, " + row.getLong(1) + " of " + count
                + " SUCCEEDED");
          }
        }
      }
      return perSecond;
    }
  }

  /**
   * POSTs/s of {@code senders} closed-loop senders: each request on a new connection with
   * Connection: close, or ({@code keepAlive}) each sender on one kept-alive connection.
   */
  private static double rawPosts(int port, String body, int senders, Duration duration, boolean keepAlive)
      throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    byte[] request = ("POST /hooks HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + duration.toNanos();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < senders; i++) {
      threads.add(Thread.ofVirtual().start(() -> {
        while (System.nanoTime() < end) {
          try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            do {
              out.write(request);
              out.write(bytes);
              out.flush();
              if (!okAnswer(in)) {
                break;
              }
              done.incrementAndGet();
            } while (keepAlive && System.nanoTime() < end);
          } catch (IOException e) {
            // counted as not done
          }
        }
      }));
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  /** Reads one answer's status line and headers (the receiver answers without a body): true for 200. */
  private static boolean okAnswer(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      head.append((char) b);
      if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
        return head.indexOf("HTTP/1.1 200") == 0;
      }
    }
    return false;
  }

  /** A job.completed event about the size the events feature will send (~700 bytes). */
  private static String sampleBody() {
    String job = "{\"id\":\"" + UUID.randomUUID() + "\",\"job_type\":\"render\",\"status\":\"COMPLETED\","
        + "\"priority\":\"NORMAL\",\"frames\":240,\"frames_done\":240,\"tasks\":24,\"tasks_done\":24,"
        + "\"credits_held\":\"2400.0000\",\"credits_charged\":\"2400.0000\",\"created_at\":\"2026-12-02T10:00:00Z\","
        + "\"started_at\":\"2026-12-02T10:00:01Z\",\"completed_at\":\"2026-12-02T10:05:00Z\",\"error_code\":null,"
        + "\"result_url\":\"/api/v1/jobs/x/result\",\"input_id\":\"" + UUID.randomUUID() + "\"}";
    return "{\"id\":\"evt_0\",\"type\":\"job.completed\",\"created_at\":\"2026-12-02T10:05:00Z\",\"data\":{\"job\":"
        + job + "}}";
  }

  private WebhooksBenchmark() {
  }
}
