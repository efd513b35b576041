package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TypeScript SDK (sdk-ts/) against the real server: {@code ServerMain --dev} and one node
 * agent offering echo, cpu_benchmark, render (the real Blender) and a sleeping command, each in a
 * process of its own. Builds the SDK with the system npm ({@code tools/build-sdk-ts.sh}: npm ci,
 * tsc), runs its
 * {@code node --test} suite (gRPC and gRPC-Web, WatchJob, every typed error, API keys, refresh, uploads,
 * cancel, a purchase proven on chain, a render's frames) and {@code ./rendertrust sdk-example ts URL}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TypeScriptSdkIT {

  private static final String BLENDER = "blender";
  private static final String WEBHOOK_SECRET = "whsec_e2e_typescript";
  /** Tests in sdk-ts/test; the run must report exactly this many passing. */
  private static final int NODE_TESTS = 21;

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private E2eSettings settings;
  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private AgentProcess agent;

  @BeforeAll
  void buildTheSdkAndStartServerAndAnAgent() throws Exception {
    settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("typescript-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    // npm ci + tsc first: on a busy machine this takes a while, and it needs no server
    run("build-sdk-ts", List.of("bash", "tools/build-sdk-ts.sh"), settings.repositoryRoot(), Duration.ofMinutes(8));

    stripe = new StripeStandIn();
    CreatorStack stack = CreatorStack.start(settings, processes, runDir, "ts", stripe.baseUrl(), WEBHOOK_SECRET,
        base -> Map.of());
    server = stack.server;
    agent = stack.agent;
  }

  @AfterAll
  void stopEverything() throws Exception {
    CreatorStack.stop(agent, processes, stripe);
  }

  @Test
  @Order(1)
  void theSdksNodeTestSuitePassesAgainstTheRealServer() throws Exception {
    Path sdk = settings.repositoryRoot().resolve("sdk-ts");
    List<String> command = new ArrayList<>(List.of("node", "--test", "--test-concurrency=1"));
    try (Stream<Path> files = Files.list(sdk.resolve("dist/test"))) {
      files.map(Path::toString).filter(name -> name.endsWith(".test.js")).sorted().forEach(command::add);
    }
    String output = run("sdk-ts-tests", command, sdk, Duration.ofMinutes(12));
    assertThat(output).contains("# pass " + NODE_TESTS).contains("# fail 0");
  }

  @Test
  @Order(2)
  void theTypeScriptQuickstartCompletesAnEchoJob() throws Exception {
    String output = run("sdk-ts-quickstart", List.of("./rendertrust", "sdk-example", "ts", server.baseUrl().toString()),
        settings.repositoryRoot(), Duration.ofMinutes(4));
    assertThat(output).contains("COMPLETED on node " + agent.nodeId()).contains("result: hello from the TypeScript SDK");
  }

  /** Runs {@code command} in {@code dir} with the test server's settings; asserts exit 0; returns its output. */
  private String run(String name, List<String> command, Path dir, Duration timeout) throws Exception {
    ManagedProcess process = processes.track(ManagedProcess.start(name, command, Map.of(
        "TMPDIR", runDir.toString(),
        "RENDERTRUST_TEST_BLENDER", BLENDER,
        "RENDERTRUST_TEST_URL", server == null ? "" : server.baseUrl().toString(),
        "RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), dir, runDir.resolve(name + ".log")));
    int exitCode = process.awaitExit(timeout);
    String output = Files.readString(process.log(), StandardCharsets.UTF_8);
    assertThat(exitCode).as("%s exit code; output:%n%s", name, output).isZero();
    return output;
  }
}
