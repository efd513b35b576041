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

  URI baseUrl() {
    return URI.create("http://localhost:" + port + "/");
  }

  boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the JVM and returns once {@code /api/v1/health/ready} says ready. */
  void start() {
    List<String> command = new ArrayList<>(List.of(settings.java().toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
        "-cp", settings.serverClasspath(), "com.rendertrust.server.ServerMain", "--dev"));
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.put("RT_DATA_DIR", dataDir.toString());
    env.put("RT_HTTP_PORT", Integer.toString(port));
    // The repository root, as for ./rendertrust dev: the server looks for tools/ (anvil) from there.
    process = processes.track(ManagedProcess.start("server", command, env, settings.repositoryRoot(), log));
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
