package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No launcher command modifies a tracked file or leaves an untracked one. In a fresh clone of the
 * commit under test: {@code ./rendertrust dev} installs the pinned npm tools and builds and starts
 * the server; {@code ./rendertrust agent} registers and runs a node; {@code ./rendertrust
 * sdk-example} completes an echo job through them; both are stopped. Afterwards {@code git status
 * --porcelain} of the clone is empty. ({@code .ci/run} checks the same after {@code ./rendertrust
 * test}, over the whole build.) The clone holds only committed work: uncommitted changes of the
 * checkout running the tests are not what is checked.
 */
class CleanTreeIT {

  /** The first command builds proto and server in the clone: minutes on a busy 2-core machine. */
  private static final Duration BUILD_AND_START = Duration.ofMinutes(12);
  private static final Duration COMMAND = Duration.ofMinutes(6);

  private final E2eSettings settings = E2eSettings.fromSystemProperties();
  private final Path runDir = settings.workDir().resolve("clean-tree-" + Instant.now().toString().replace(':', '-'));
  private final Path clone = runDir.resolve("repo");
  private final Processes processes = new Processes();
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stopEverything() throws Exception {
    processes.close();
  }

  @Test
  void theLauncherCommandsLeaveAFreshCloneUnmodified() throws Exception {
    Files.createDirectories(runDir);
    assertThat(runToEnd("git-clone", List.of("git", "clone", "--quiet", "--shared",
        settings.repositoryRoot().toString(), clone.toString()), runDir, Duration.ofMinutes(1))).isZero();

    int port = E2eSettings.freePort();
    String server = "http://127.0.0.1:" + port;
    ManagedProcess dev = start("rendertrust-dev", List.of("./rendertrust", "dev"),
        Map.of("RT_HTTP_PORT", Integer.toString(port), "RT_DATA_DIR", runDir.resolve("dev-data").toString()));
    Await.until("the dev server of the clone to be ready", BUILD_AND_START,
        () -> dev.isAlive() ? get(server + "/api/v1/health/ready").filter(body -> body.contains("\"ready\""))
            : Optional.of("ended"),
        () -> dev.tail(5));
    assertThat(dev.isAlive()).as("the dev server runs").isTrue();

    Path agentHome = runDir.resolve("agent");
    assertThat(runToEnd("agent-register", List.of("./rendertrust", "agent", "register", "--server", server,
        "--name", "clean-tree", "--capabilities", "echo", "--config-dir", agentHome.toString()), clone, COMMAND))
        .as("agent register").isZero();
    int healthPort = E2eSettings.freePort();
    ManagedProcess agent = start("rendertrust-agent-run", List.of("./rendertrust", "agent", "run",
        "--config-dir", agentHome.toString(), "--health-port", Integer.toString(healthPort)), Map.of());
    Await.until("the agent to connect", COMMAND,
        () -> agent.isAlive()
            ? get("http://127.0.0.1:" + healthPort + "/health").filter(body -> body.contains("\"relay_connected\":true"))
            : Optional.of("ended"),
        () -> agent.tail(5));
    assertThat(agent.isAlive()).as("the agent runs").isTrue();

    ManagedProcess example = start("rendertrust-sdk-example", List.of("./rendertrust", "sdk-example", server),
        Map.of());
    assertThat(example.awaitExit(COMMAND)).as("sdk-example exit code").isZero();
    assertThat(Files.readString(example.log(), StandardCharsets.UTF_8)).contains(": hello from the Java SDK");

    agent.stop(Duration.ofSeconds(30));
    dev.stop(Duration.ofSeconds(30));

    assertThat(Files.isExecutable(clone.resolve("tools/node_modules/.bin/buf")))
        .as("the launcher installed the pinned tools in the clone").isTrue();
    ManagedProcess status = start("git-status", List.of("git", "status", "--porcelain"), Map.of());
    assertThat(status.awaitExit(Duration.ofMinutes(1))).isZero();
    assertThat(outputOf(status)).as("git status --porcelain of the clone after the launcher's commands").isEmpty();

    deleteRecursively(runDir);
  }

  private ManagedProcess start(String name, List<String> command, Map<String, String> environment) {
    Map<String, String> withJdk = new java.util.HashMap<>(environment);
    // the JDK running the tests (the one ./mvnw found) is the one the launcher finds
    withJdk.put("JAVA_HOME", System.getProperty("java.home"));
    return processes.track(ManagedProcess.start(name, command, withJdk, clone, runDir.resolve(name + ".log")));
  }

  private int runToEnd(String name, List<String> command, Path workingDir, Duration timeout) throws Exception {
    ManagedProcess process = processes.track(ManagedProcess.start(name, command,
        Map.of("JAVA_HOME", System.getProperty("java.home")), workingDir, runDir.resolve(name + ".log")));
    int exitCode = process.awaitExit(timeout);
    assertThat(exitCode).as("%s ended in time; its output:%n%s", name, process.tail(20)).isNotEqualTo(-1);
    return exitCode;
  }

  /** What the command printed, without the header line ManagedProcess writes into its log. */
  private static String outputOf(ManagedProcess process) throws IOException {
    List<String> lines = Files.readAllLines(process.log(), StandardCharsets.UTF_8);
    return String.join("\n", lines.stream().filter(line -> !line.isBlank() && !line.startsWith("===== ")).toList());
  }

  private Optional<String> get(String url) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The clone with its build outputs is large; a passing run leaves nothing behind. */
  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
