package com.rendertrust.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane as {@code ./rendertrust dev} runs it: {@code ServerMain --dev} in a JVM of its
 * own, embedded PostgreSQL under the data directory, embedded Redis, the local result store, and
 * (when tools/ holds anvil) a local chain. Always the same port and data directory, so a restart
 * is the same server coming back.
 */
final class ServerProcess {

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);

  private final E2eSettings settings;
  private final Processes processes;
  private final Path dataDir;
  private final Path log;
  private final int port;
  private final Map<String, String> environment;
  private ManagedProcess process;

  ServerProcess(E2eSettings settings, Processes processes, Path dataDir, Path log, Map<String, String> environment) {
    this.settings = settings;
    this.processes = processes;
    this.dataDir = dataDir;
    this.log = log;
    this.port = E2eSettings.freePort();
    this.environment = Map.copyOf(environment);
  }

  /** As above, with settings that name the server's own URL (e.g. Stripe's return URLs). */
  ServerProcess(E2eSettings settings, Processes processes, Path dataDir, Path log,
      java.util.function.Function<URI, Map<String, String>> environment) {
    this.settings = settings;
    this.processes = processes;
    this.dataDir = dataDir;
    this.log = log;
    this.port = E2eSettings.freePort();
    this.environment = Map.copyOf(environment.apply(baseUrl()));
  }

  /**
   * Stripe played by {@code stripe}, and short timings, so that a lost agent's job is retried
   * within seconds, not half a minute (long enough for an agent to reconnect to a restarted
   * server: its backoff is capped at 1 s).
   */
  static Map<String, String> withStripeAndFastTimings(StripeStandIn stripe, String webhookSecret) {
    return Map.ofEntries(
        Map.entry("RT_STRIPE_SECRET_KEY", "sk_test_e2e"),
        Map.entry("RT_STRIPE_API_BASE", stripe.baseUrl().toString()),
        Map.entry("RT_STRIPE_WEBHOOK_SECRET", webhookSecret),
        Map.entry("RT_NODE_RECONNECT_GRACE_SECONDS", "8"),
        Map.entry("RT_SWEEPER_INTERVAL_MS", "500"),
        Map.entry("RT_NODE_SYNC_INTERVAL_MS", "1000"),
        Map.entry("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", "2"),
        Map.entry("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", "10"),
        Map.entry("RT_SHUTDOWN_GRACE_SECONDS", "2"));
  }

  URI baseUrl() {
    return URI.create("http://localhost:" + port + "/");
  }

  boolean isRunning() {
    return process != null && process.isAlive();
  }

  Path log() {
    return log;
  }

  Path dataDir() {
    return dataDir;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL of the server's JVM alone (see {@link ManagedProcess#crash()}). */
  void crash() throws InterruptedException {
    process.crash();
  }

  /** Starts the JVM and returns once {@code /api/v1/health/ready} says ready. */
  void start() {
    launch();
    Rest rest = new Rest(baseUrl());
    Await.until("the server to be ready on port " + port, STARTUP_TIMEOUT, () -> {
      if (!process.isAlive()) {
        throw new AssertionError("the server exited during startup:\n" + process.tail(60));
      }
      try {
        Rest.Response ready = rest.get("/api/v1/health/ready", null);
        return ready.status() == 200 && "ready".equals(ready.json().path("status").asText())
            ? Optional.of(true) : Optional.empty();
      } catch (UncheckedIOException notListeningYet) {
        return Optional.empty();
      }
    }, () -> process.tail(20));
  }

  /** Starts the JVM for a start that must fail: its exit code once it ended, and its log. */
  StartFailure startExpectingFailure(Duration timeout) throws InterruptedException {
    launch();
    int exit = process.awaitExit(timeout);
    if (exit == -1) {
      throw new AssertionError("the server did not exit within " + timeout + ":\n" + process.tail(30));
    }
    return new StartFailure(exit, process.tail(200));
  }

  record StartFailure(int exitCode, String log) {}

  private void launch() {
    List<String> command = new ArrayList<>(List.of(settings.java().toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
        "-cp", settings.serverClasspath(), "com.rendertrust.server.ServerMain", "--dev"));
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.put("RT_DATA_DIR", dataDir.toString());
    env.put("RT_HTTP_PORT", Integer.toString(port));
    // The repository root, as for ./rendertrust dev: the server looks for tools/ (anvil) from there.
    process = processes.track(ManagedProcess.start("server", command, env, settings.repositoryRoot(), log));
  }

  /**
   * The processes the server noted as its own, by name: {@code redis}, {@code anvil} and the
   * watchdog ({@code 0-watchdog}) from {@code RT_DATA_DIR/run/NAME.pid}, and {@code postgres} from
   * {@code postmaster.pid}; each one's first line is its pid.
   */
  Map<String, Long> embeddedPids() {
    Map<String, Long> pids = new java.util.TreeMap<>();
    try {
      Path run = dataDir.resolve("run");
      if (Files.isDirectory(run)) {
        try (var files = Files.newDirectoryStream(run, "*.pid")) {
          for (Path file : files) {
            pids.put(file.getFileName().toString().replace(".pid", ""), firstLineNumber(file));
          }
        }
      }
      Path postmaster = dataDir.resolve("postgres").resolve("postmaster.pid");
      if (Files.exists(postmaster)) {
        pids.put("postgres", firstLineNumber(postmaster));
      }
      return pids;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long firstLineNumber(Path file) throws IOException {
    return Long.parseLong(Files.readAllLines(file).get(0).strip());
  }

  /** SIGTERM: health goes NOT_SERVING, nodes get Drain, calls finish, PostgreSQL and Redis stop. */
  void stop() throws InterruptedException {
    process.stop(Duration.ofSeconds(60));
    if (process.awaitExit(Duration.ZERO) == -1) {
      throw new AssertionError("the server did not stop");
    }
  }

  /** The running server's process exit code, once it ended. */
  int exitCode() throws InterruptedException {
    return process.awaitExit(Duration.ofSeconds(1));
  }

  /**
   * JDBC URL of the dev database. The embedded PostgreSQL picks a free port at each start and
   * records it in postmaster.pid (line 4), as every PostgreSQL server does.
   */
  String jdbcUrl() {
    try {
      List<String> pid = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
      return "jdbc:postgresql://localhost:" + pid.get(3).strip() + "/postgres?user=postgres";
    } catch (IOException e) {
      throw new UncheckedIOException("no running PostgreSQL under " + dataDir, e);
    }
  }

  JsonNode readiness() {
    return new Rest(baseUrl()).get("/api/v1/health/ready", null).json();
  }
}
