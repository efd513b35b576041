package com.rendertrust.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node: the standalone agent jar, exactly as an operator runs it ({@code java -jar … register},
 * then {@code run}), with a config dir of its own and its health endpoint on a free port.
 */
final class AgentProcess {

  private final E2eSettings settings;
  private final Processes processes;
  private final String name;
  private final Path configDir;
  private final Path log;
  private final Map<String, String> environment = new HashMap<>(Map.of(
      "RT_AGENT_HEALTH_PORT", "0",
      "RT_AGENT_BLENDER", "off",
      "RT_AGENT_DRAIN_GRACE_SECONDS", "5",
      // a restarted server is found again within 1 s instead of up to 30 s
      "RT_AGENT_RECONNECT_MAX_MS", "1000"));
  private ManagedProcess running;

  AgentProcess(E2eSettings settings, Processes processes, String name, Path configDir, Path log) {
    this.settings = settings;
    this.processes = processes;
    this.name = name;
    this.configDir = configDir;
    this.log = log;
  }

  String name() {
    return name;
  }

  /** {@code agent.json}, written before {@code register} so that its commands count as runnable. */
  void configure(Map<String, Object> agentJson) {
    try {
      Files.createDirectories(configDir);
      Files.write(configDir.resolve("agent.json"), Rest.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(agentJson));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code register --server … --name … --capabilities … --operator-token …}; returns the node id. */
  String register(URI server, List<String> capabilities, String operatorToken) throws InterruptedException {
    ManagedProcess register = processes.track(ManagedProcess.start(name + " register", command("register",
        "--server", server.toString().replaceAll("/$", ""), "--name", name,
        "--capabilities", String.join(",", capabilities), "--operator-token", operatorToken,
        "--config-dir", configDir.toString()), environment(), configDir, log));
    int exit = register.awaitExit(Duration.ofSeconds(90));
    if (exit != 0) {
      register.kill();
      throw new AssertionError(name + ": register exited with " + exit + ":\n" + register.tail(40));
    }
    return nodeId();
  }

  /** {@code run}; returns once its health endpoint reports the stream to the server connected. */
  void run() throws InterruptedException {
    try {
      // a killed agent leaves its run.json behind; the new one must not be mistaken for it
      Files.deleteIfExists(configDir.resolve("run.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    running = processes.track(ManagedProcess.start(name, command("run", "--config-dir", configDir.toString()),
        environment(), configDir, log));
    awaitRelayConnected(true, Duration.ofSeconds(90));
  }

  void awaitRelayConnected(boolean connected, Duration timeout) {
    Await.until(name + " relay_connected=" + connected, timeout, () -> {
      if (!running.isAlive()) {
        throw new AssertionError(name + " exited:\n" + running.tail(60));
      }
      return health().filter(health -> health.path("relay_connected").asBoolean() == connected).map(health -> true);
    }, () -> health().map(JsonNode::toString).orElse("no health answer") + "\n" + running.tail(10));
  }

  /** {@code GET /health} of the running agent, once it has published its port in run.json. */
  Optional<JsonNode> health() {
    try {
      Path runFile = configDir.resolve("run.json");
      if (!Files.exists(runFile)) {
        return Optional.empty();
      }
      JsonNode run = Rest.JSON.readTree(runFile.toFile());
      if (run.path("pid").asLong() != running.pid()) {
        return Optional.empty();
      }
      URI health = URI.create("http://127.0.0.1:" + run.path("health_port").asInt() + "/health");
      Rest.Response response = new Rest(health).fetch(health);
      return response.status() == 200 ? Optional.of(response.json()) : Optional.empty();
    } catch (IOException | UncheckedIOException notYet) {
      return Optional.empty();
    }
  }

  String nodeId() {
    try {
      return Rest.JSON.readTree(configDir.resolve("node.json").toFile()).path("node_id").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean isRunning() {
    return running != null && running.isAlive();
  }

  /** SIGKILL of the agent's JVM (and then of the job processes it ran). */
  void kill() throws InterruptedException {
    running.kill();
  }

  void stop() throws InterruptedException {
    if (running != null) {
      running.stop(Duration.ofSeconds(30));
    }
  }

  private List<String> command(String... arguments) {
    List<String> command = new ArrayList<>(List.of(settings.java().toString(), "-Xmx256m", "-jar",
        settings.agentJar().toString()));
    command.addAll(List.of(arguments));
    return command;
  }

  /** Environment variables of every later command, over the defaults (Blender off, fast reconnects). */
  void environment(Map<String, String> overrides) {
    environment.putAll(overrides);
  }

  private Map<String, String> environment() {
    return Map.copyOf(environment);
  }
}
