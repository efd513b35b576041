package com.rendertrust.agent;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.rendertrust.agent.cli.CommandLine;
import com.rendertrust.agent.cli.RegisterCommand;
import com.rendertrust.agent.cli.StatusCommand;
import com.rendertrust.agent.cli.Usage;
import com.rendertrust.agent.config.AgentConfig;
import com.rendertrust.agent.config.AgentConfigLoader;
import com.rendertrust.agent.config.ConfigException;
import com.rendertrust.agent.health.AgentMetrics;
import com.rendertrust.agent.health.HealthServer;
import com.rendertrust.agent.telemetry.AgentTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import com.rendertrust.agent.identity.IdentityStore;
import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.identity.NodeKeys;
import com.rendertrust.agent.jobs.InputFetcher;
import com.rendertrust.agent.jobs.PinnedDownload;
import com.rendertrust.agent.jobs.JobExecutor;
import com.rendertrust.agent.jobs.ResultUploader;
import com.rendertrust.agent.jobs.WorkDirs;
import com.rendertrust.agent.link.Backoff;
import com.rendertrust.agent.link.ConnectionState;
import com.rendertrust.agent.link.CredentialKeeper;
import com.rendertrust.agent.link.Registrar;
import com.rendertrust.agent.link.RegistrationException;
import com.rendertrust.agent.link.ReportOutbox;
import com.rendertrust.agent.link.ServerAddress;
import com.rendertrust.agent.link.ServerLink;
import com.rendertrust.agent.plugins.CommandPlugin;
import com.rendertrust.agent.plugins.CpuBenchmarkPlugin;
import com.rendertrust.agent.plugins.EchoPlugin;
import com.rendertrust.agent.plugins.JobPlugin;
import com.rendertrust.agent.plugins.PluginRegistry;
import com.rendertrust.agent.plugins.ProcessRunner;
import com.rendertrust.agent.plugins.render.RenderPlugin;
import com.rendertrust.agent.run.AgentVersion;
import com.rendertrust.agent.run.JobDesk;
import com.rendertrust.agent.run.NodeAgent;
import com.rendertrust.agent.run.RunFile;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's entry point and its one composition root: every part is built here with
 * {@code new} from one {@link AgentConfig}. {@code java -cp … com.rendertrust.agent.AgentMain run
 * --config-dir X} (or {@code java -jar rendertrust-node-agent-*-standalone.jar run}) is all a
 * machine needs.
 */
public final class AgentMain {

  /** Exit codes: 0 done, 1 the command failed, 2 bad usage or configuration. */
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private static final Logger log = LoggerFactory.getLogger(AgentMain.class);
  /**
   * How long a finished job's result upload keeps retrying a store that does not answer: long
   * enough for a control-plane restart (the embedded store is the server itself).
   */
  private static final Duration UPLOAD_RETRY_WINDOW = Duration.ofMinutes(10);

  private final Map<String, String> environment;
  /** The agent's OpenTelemetry SDK while it runs with OTEL_EXPORTER_OTLP_ENDPOINT set. */
  private volatile Optional<OpenTelemetrySdk> tracingSdk = Optional.empty();
  private final Path userHome;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;

  public AgentMain(Map<String, String> environment, Path userHome, PrintStream out, PrintStream err, Clock clock) {
    this.environment = Map.copyOf(environment);
    this.userHome = userHome;
    this.out = out;
    this.err = err;
    this.clock = clock;
  }

  public static void main(String[] args) {
    AgentMain main = new AgentMain(System.getenv(), Path.of(System.getProperty("user.home")), System.out, System.err,
        Clock.systemUTC());
    System.exit(main.execute(args));
  }

  /** Runs one command; for {@code run}, returns once the agent has stopped. */
  public int execute(String... args) {
    CommandLine commandLine;
    AgentConfig config;
    try {
      commandLine = CommandLine.parse(args);
      if (commandLine.help() || commandLine.command().isEmpty() || commandLine.command().get().equals("help")) {
        Usage.print(out);
        return commandLine.command().isEmpty() && !commandLine.help() ? USAGE : OK;
      }
      config = loadConfig(commandLine);
    } catch (ConfigException e) {
      err.println("rendertrust-agent: " + e.getMessage());
      return USAGE;
    }
    setLogLevel(config.logLevel());
    try {
      return switch (commandLine.command().get()) {
        case "register" -> register(config);
        case "run" -> run(config);
        case "status" -> new StatusCommand(config, new IdentityStore(config.configDir()), new NodeKeys(config.configDir()),
            HttpClient.newHttpClient(), out).execute(commandLine.json());
        default -> {
          err.println("rendertrust-agent: unknown command '" + commandLine.command().get() + "' (register, run, status, help)");
          yield USAGE;
        }
      };
    } catch (ConfigException e) {
      err.println("rendertrust-agent: " + e.getMessage());
      return USAGE;
    } catch (RegistrationException | IOException e) {
      err.println("rendertrust-agent: " + e.getMessage());
      return FAILED;
    }
  }

  public AgentConfig loadConfig(CommandLine commandLine) {
    return new AgentConfigLoader(commandLine.flags(), environment, userHome, Runtime.getRuntime().availableProcessors()).load();
  }

  private int register(AgentConfig config) throws IOException, RegistrationException {
    return new RegisterCommand(config, plugins(config), new IdentityStore(config.configDir()), new NodeKeys(config.configDir()),
        machineMetadata(config), hostName(), clock, out).execute();
  }

  private int run(AgentConfig config) throws IOException {
    NodeAgent agent = startAgent(config);
    Thread hook = new Thread(() -> {
      agent.shutdown(config.drainGrace());
      tracingSdk.ifPresent(OpenTelemetrySdk::close); // flushes the last spans
    }, "agent-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    agent.awaitStopped();
    return OK;
  }

  /**
   * Builds and starts a running agent for {@code config}: the whole object graph of {@code run}.
   * Fails (IOException with an operator-readable message) when the node is not registered, its
   * key is unreadable, another agent holds the config dir, or the health port is taken.
   */
  public NodeAgent startAgent(AgentConfig config) throws IOException {
    return startAgent(config, null);
  }

  /**
   * As above, its spans recorded by {@code openTelemetry} (tests: an SDK with an in-memory
   * exporter); {@code null}: as the standard {@code OTEL_*} variables say (off without an endpoint).
   */
  public NodeAgent startAgent(AgentConfig config, OpenTelemetry openTelemetry) throws IOException {
    IdentityStore identities = new IdentityStore(config.configDir());
    NodeIdentity identity = identities.load().orElseThrow(() -> new IOException(
        "this node is not registered yet (no " + identities.file() + "): run `register --server URL --name NAME` first"));
    NodeKeys nodeKeys = new NodeKeys(config.configDir());
    if (!nodeKeys.exist()) {
      throw new IOException("the node key " + nodeKeys.privateKeyFile() + " is missing: run `register` again");
    }
    KeyPair keys = nodeKeys.load();
    ServerAddress address = ServerAddress.parse(config.server().orElse(identity.server()));
    if (!address.url().equals(identity.server())) {
      log.warn("the server {} differs from the one this node registered with ({}); the token may be refused",
          address.url(), identity.server());
    }

    PluginRegistry plugins = plugins(config);
    PluginRegistry.CapabilityPlan plan = plugins.plan(config.capabilities().or(() -> nonEmpty(identity.capabilities())));
    plan.unavailable().forEach((type, why) -> log.warn("not offering '{}': {}", type, why));
    if (plan.advertised().isEmpty()) {
      throw new ConfigException("none of the configured capabilities can run on this machine; it could run: "
          + String.join(", ", plugins.jobTypes()));
    }

    RunFile runFile = RunFile.acquire(config.configDir());
    ScheduledExecutorService timer = null;
    ManagedChannel channel = null;
    try {
      WorkDirs workDirs = new WorkDirs(config.workDir(), config.keepWorkDirs());
      workDirs.removeLeftovers();
      String version = AgentVersion.read();
      timer = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "agent-timer");
        thread.setDaemon(true);
        return thread;
      });
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL).build();
      ReportOutbox outbox = new ReportOutbox(clock);
      AgentMetrics metrics = new AgentMetrics();
      if (openTelemetry == null) {
        tracingSdk = AgentTracing.sdkFromEnvironment(environment);
      }
      AgentTracing tracing = new AgentTracing(openTelemetry != null ? openTelemetry
          : tracingSdk.<OpenTelemetry>map(sdk -> sdk).orElse(OpenTelemetry.noop()));
      JobExecutor executor = new JobExecutor(config.slots(), plugins.restrictTo(plan.advertised()),
          metrics.timing(tracing.traced(outbox)), new InputFetcher(http, new PinnedDownload(config.allowPrivateInputs())),
          new ResultUploader(http, Duration.ofMinutes(10), Duration.ofSeconds(1), UPLOAD_RETRY_WINDOW,
              metrics.uploadedBytes(), (job, what) -> tracing.upload(job, what)::end),
          workDirs, config.jobTimeout(), timer, clock);
      JobDesk desk = new JobDesk(executor, outbox, plan.advertised(), version);
      channel = address.openChannel(config.keepAlive());
      ConnectionState connection = new ConnectionState(clock);
      // The keeper asks the link to reconnect after some renewals; the link needs the keeper.
      AtomicReference<ServerLink> linkForKeeper = new AtomicReference<>();
      CredentialKeeper credentials = new CredentialKeeper(identity, new Registrar(channel, address.url(), config.rpcTimeout()),
          identities, keys, plan.advertised(), machineMetadata(config), timer, clock,
          why -> linkForKeeper.get().reconnectNow(why));
      ServerLink link = new ServerLink(channel, credentials, keys.getPrivate(), outbox, desk, desk::hello, desk::heartbeat,
          new Backoff(config.reconnectInitial(), config.reconnectMax(), new SecureRandom()), connection,
          config.rpcTimeout(), timer);
      linkForKeeper.set(link);
      outbox.attach(link);
      NodeAgent agent = new NodeAgent(identity, version, desk, executor, outbox, link, credentials, connection, timer,
          channel, clock);
      HealthServer health;
      try {
        metrics.watch(executor, connection);
        health = new HealthServer(config.healthBind(), config.healthPort(), agent::health, agent::status,
            metrics::scrape);
      } catch (BindException e) {
        executor.close();
        throw new IOException("the health port " + config.healthBind() + ":" + config.healthPort()
            + " is in use (set --health-port / RT_AGENT_HEALTH_PORT)", e);
      }
      runFile.publish(ProcessHandle.current().pid(), config.healthBind(), health.port(), clock.instant());
      log.info("starting with {}", config);
      agent.start(health, runFile);
      return agent;
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (timer != null) {
        timer.shutdownNow();
      }
      runFile.close();
      throw e;
    }
  }

  private static java.util.Optional<List<String>> nonEmpty(List<String> list) {
    return list.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(list);
  }

  /** Built-ins, Blender when found, then the operator's commands (which may replace a built-in). */
  PluginRegistry plugins(AgentConfig config) {
    ProcessRunner processes = new ProcessRunner(environment);
    List<JobPlugin> available = new ArrayList<>();
    available.add(new EchoPlugin());
    available.add(new CpuBenchmarkPlugin());
    config.blender().ifPresent(blender -> available.add(new RenderPlugin(blender, processes)));
    config.commands().forEach((type, argv) -> available.add(new CommandPlugin(type, argv, processes)));
    return new PluginRegistry(available);
  }

  /** What RegisterNode records about the machine (RegisterNodeRequest.metadata). */
  private Struct machineMetadata(AgentConfig config) {
    Struct.Builder metadata = Struct.newBuilder()
        .putFields("agent_version", Value.newBuilder().setStringValue(AgentVersion.read()).build())
        .putFields("os", Value.newBuilder().setStringValue(System.getProperty("os.name", "") + " "
            + System.getProperty("os.version", "")).build())
        .putFields("arch", Value.newBuilder().setStringValue(System.getProperty("os.arch", "")).build())
        .putFields("cpu_cores", Value.newBuilder().setNumberValue(Runtime.getRuntime().availableProcessors()).build())
        .putFields("slots", Value.newBuilder().setNumberValue(config.slots()).build());
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      metadata.putFields("memory_bytes", Value.newBuilder().setNumberValue(os.getTotalMemorySize()).build());
    }
    config.blender().ifPresent(blender -> metadata.putFields("blender", Value.newBuilder().setStringValue(blender.toString()).build()));
    return metadata.build();
  }

  private String hostName() {
    String fromEnv = environment.getOrDefault("HOSTNAME", "");
    if (!fromEnv.isBlank()) {
      return fromEnv.toLowerCase(Locale.ROOT);
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (IOException e) {
      return "rendertrust-node";
    }
  }

  private static void setLogLevel(String level) {
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.toLevel(level, ch.qos.logback.classic.Level.INFO));
    }
  }
}
