package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.e2e.DevClient.User;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21, findings 4 and 8, on real processes: {@code ServerMain --dev} in a JVM of its own,
 * killed with SIGKILL and started again on the same data directory; a second server on a data
 * directory in use; the embedded Redis killed under a running server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevServerCrashIT {

  private static final Duration CHILDREN_GONE_TIMEOUT = Duration.ofSeconds(40);

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private E2eSettings settings;
  private Path runDir;
  private ServerProcess server;
  private DevClient client;
  private User user;

  @BeforeAll
  void startServer() throws Exception {
    settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("crash-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), environment());
    server.start();
    client = new DevClient(new Rest(server.baseUrl()), null, null);
    user = client.registerUser("crash");
  }

  private static Map<String, String> environment() {
    return Map.of("RT_SHUTDOWN_GRACE_SECONDS", "2");
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      processes.close();
    }
  }

  @Test
  @Order(1)
  void aSecondServerOnADataDirectoryInUseFailsClearlyAndLeavesTheFirstAndItsProcessesAlone() throws Exception {
    Map<String, Long> owned = server.embeddedPids();
    assertThat(owned).containsKeys("postgres", "redis", "0-watchdog");
    if (anvilInstalled()) {
      assertThat(owned).containsKey("anvil");
    }

    ServerProcess second = new ServerProcess(settings, processes, server.dataDir(), runDir.resolve("second.log"),
        environment());
    ServerProcess.StartFailure failure = second.startExpectingFailure(Duration.ofSeconds(120));

    assertThat(failure.exitCode()).isEqualTo(1);
    assertThat(failure.log()).contains("is in use by a running RenderTrust server (pid " + server.pid() + ")");
    owned.forEach((name, pid) -> assertThat(ManagedProcess.running(pid)).as("%s (pid %d) of the first server", name, pid)
        .isTrue());
    assertThat(server.embeddedPids()).isEqualTo(owned);
    assertThat(server.readiness().path("status").asText()).isEqualTo("ready");
  }

  @Test
  @Order(2)
  void afterSigkillOfTheServerItsEmbeddedProcessesStopAndTheNextStartOnTheSameDataDirectorySucceeds()
      throws Exception {
    Map<String, Long> before = server.embeddedPids();

    server.crash();

    // the watchdog stops them: the server had no chance to
    awaitAllStopped(before);
    server.start();
    assertLoginWorks();
    assertThat(server.embeddedPids().get("postgres")).isNotEqualTo(before.get("postgres"));
  }

  @Test
  @Order(3)
  void orphansLeftWhenTheWatchdogDiedTooAreStoppedByTheNextStart() throws Exception {
    Map<String, Long> before = server.embeddedPids();
    ManagedProcess.signal(before.get("0-watchdog"), "KILL");
    server.crash();
    Thread.sleep(2_000);
    before.forEach((name, pid) -> {
      if (!name.equals("0-watchdog")) {
        assertThat(ManagedProcess.running(pid)).as("%s (pid %d), orphaned", name, pid).isTrue();
      }
    });

    server.start();

    before.forEach((name, pid) -> assertThat(ManagedProcess.running(pid)).as("orphaned %s (pid %d)", name, pid)
        .isFalse());
    assertLoginWorks();
    assertThat(Files.readString(server.log())).contains("left running by a server that did not stop it");
  }

  @Test
  @Order(4)
  void aKilledEmbeddedRedisComesBackOnItsPortAndTheServerUsesItAgain() throws Exception {
    long killed = server.embeddedPids().get("redis");
    int port = redisPort(killed);

    ManagedProcess.signal(killed, "KILL");

    long back = Await.until("a new embedded Redis", Duration.ofSeconds(30), () -> Optional.ofNullable(
        server.embeddedPids().get("redis")).filter(pid -> pid != killed && ManagedProcess.running(pid)),
        () -> server.embeddedPids().toString());
    assertThat(redisPort(back)).isEqualTo(port);
    Await.until("readiness ready again", Duration.ofSeconds(30), () -> Optional.of(server.readiness())
        .filter(ready -> ready.path("status").asText().equals("ready")), () -> server.readiness().toString());
    assertThat(redis(port, "KEYS *rl:login*")).as("login counters in the new Redis").isEqualTo("*0");

    // the rate limits count in the new Redis again: the login limit (5 a minute) answers 429
    List<Integer> statuses = new java.util.ArrayList<>();
    for (int attempt = 0; attempt < 8; attempt++) {
      statuses.add(client.rest().post("/api/v1/auth/login", null,
          Map.of("email", user.email(), "password", "not the password")).status());
    }
    assertThat(statuses).contains(429);
    assertThat(redis(port, "KEYS *rl:login*")).as("login counters in the new Redis").isNotEqualTo("*0");
  }

  private void assertLoginWorks() {
    client.rest().post("/api/v1/auth/login", null, Map.of("email", user.email(), "password", "correct horse battery"))
        .expect(200, "login of a user registered before the crash");
  }

  private static void awaitAllStopped(Map<String, Long> pids) {
    Await.until("the crashed server's processes to stop", CHILDREN_GONE_TIMEOUT, () -> pids.values().stream()
        .noneMatch(ManagedProcess::running) ? Optional.of(true) : Optional.empty(),
        () -> pids + " running: " + pids.values().stream().filter(ManagedProcess::running).toList());
  }

  private boolean anvilInstalled() {
    return Files.isExecutable(settings.repositoryRoot()
        .resolve("tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"));
  }

  /**
   * The port of the redis-server with that pid, from its command line: redis-server rewrites it
   * to {@code redis-server 127.0.0.1:PORT} once it runs.
   */
  private static int redisPort(long pid) {
    try {
      String commandLine = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
      java.util.regex.Matcher port = java.util.regex.Pattern.compile("(?:127\\.0\\.0\\.1:|--port\\x00)(\\d+)")
          .matcher(commandLine);
      assertThat(port.find()).as("a port in redis-server's command line %s", commandLine).isTrue();
      return Integer.parseInt(port.group(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One inline command to Redis; its one-line reply. */
  private static String redis(int port, String command) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
        line.append((char) c);
      }
      return line.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
