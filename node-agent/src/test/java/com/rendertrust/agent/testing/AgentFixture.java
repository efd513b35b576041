package com.rendertrust.agent.testing;

import com.rendertrust.agent.AgentMain;
import com.rendertrust.agent.cli.CommandLine;
import com.rendertrust.agent.config.AgentConfig;
import com.rendertrust.agent.run.NodeAgent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An agent under test: its own config dir, registered with a {@link FakeControlPlane} through the
 * real {@code register} command, and run through the real composition root with short intervals
 * (reconnect 50..400 ms, health on a random port).
 */
public final class AgentFixture implements AutoCloseable {

  private final Path configDir;
  private final Map<String, String> environment = new HashMap<>(System.getenv());
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private NodeAgent agent;

  public AgentFixture(Path configDir) {
    this.configDir = configDir;
    environment.keySet().removeIf(key -> key.startsWith("RT_AGENT_"));
  }

  public Path configDir() {
    return configDir;
  }

  public Map<String, String> environment() {
    return environment;
  }

  /** Writes {@code agent.json}. */
  public AgentFixture configFile(String json) throws IOException {
    Files.createDirectories(configDir);
    Files.writeString(configDir.resolve("agent.json"), json);
    return this;
  }

  public AgentMain main() {
    return new AgentMain(environment, configDir.getParent(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC());
  }

  /** Runs a command through AgentMain with this config dir; returns the exit code. */
  public int execute(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--config-dir");
    all.add(configDir.toString());
    return main().execute(all.toArray(String[]::new));
  }

  public int register(FakeControlPlane server, String capabilities) {
    return execute("register", "--server", server.url(), "--name", "test-node", "--capabilities", capabilities);
  }

  public String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  public String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  public AgentConfig runConfig(String... extraFlags) {
    List<String> args = new ArrayList<>(List.of("run", "--config-dir", configDir.toString(), "--health-port", "0",
        "--reconnect-initial-ms", "50", "--reconnect-max-ms", "400", "--rpc-timeout-seconds", "5"));
    args.addAll(List.of(extraFlags));
    return main().loadConfig(CommandLine.parse(args.toArray(String[]::new)));
  }

  public NodeAgent start(String... extraFlags) throws IOException {
    agent = main().startAgent(runConfig(extraFlags));
    return agent;
  }

  public NodeAgent agent() {
    return agent;
  }

  @Override
  public void close() {
    if (agent != null && !agent.isStopped()) {
      agent.shutdown(Duration.ofSeconds(1));
    }
  }
}
