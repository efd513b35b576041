package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Python SDK (sdk-python/) against the real server: {@code ServerMain --dev} and one node agent
 * offering echo, cpu_benchmark, render (the real Blender) and a sleeping command, each in a process
 * of its own. Runs the SDK's unittest suite (including the creator guide's snippets) and the
 * quickstart exactly as {@code ./rendertrust sdk-example python URL} runs it, with Debian's
 * /usr/bin/python3 (python3-grpcio, python3-protobuf).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PythonSdkIT {

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final String WEBHOOK_SECRET = "whsec_e2e_python";
  /** Test methods in sdk-python/tests; the run must report exactly this many. */
  private static final int PYTHON_TESTS = 17;

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private E2eSettings settings;
  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private AgentProcess agent;

  @BeforeAll
  void startServerAndAnAgent() throws Exception {
    assertThat(PYTHON).as("Debian's python3 (.ci/run installs python3-grpcio and python3-protobuf)").isExecutable();
    settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("python-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    CreatorStack stack = CreatorStack.start(settings, processes, runDir, "python", stripe.baseUrl(), WEBHOOK_SECRET,
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
  void theSdksUnittestSuiteIncludingTheCreatorGuideSnippetsPasses() throws Exception {
    String output = python("sdk-python-tests", Duration.ofMinutes(6), "-m", "unittest", "discover", "-v",
        "-s", "tests", "-t", ".");
    assertThat(output).contains("Ran " + PYTHON_TESTS + " tests").contains("\nOK");
  }

  @Test
  @Order(2)
  void thePythonQuickstartCompletesAnEchoJob() throws Exception {
    // what `./rendertrust sdk-example python URL` runs
    String output = python("sdk-python-quickstart", Duration.ofMinutes(3), "-m", "rendertrust.examples.quickstart",
        server.baseUrl().toString());
    assertThat(output).contains("COMPLETED on node " + agent.nodeId()).contains("result: hello from the Python SDK");
  }

  /** Runs /usr/bin/python3 in sdk-python/ (no .pyc files left there); asserts exit 0; returns its output. */
  private String python(String name, Duration timeout, String... arguments) throws Exception {
    Path sdk = settings.repositoryRoot().resolve("sdk-python");
    List<String> command = new java.util.ArrayList<>(List.of(PYTHON.toString()));
    command.addAll(List.of(arguments));
    ManagedProcess process = processes.track(ManagedProcess.start(name, command, Map.of(
        "PYTHONPATH", sdk.toString(),
        "PYTHONDONTWRITEBYTECODE", "1",
        "TMPDIR", runDir.toString(),
        "RENDERTRUST_TEST_URL", server.baseUrl().toString(),
        "RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), sdk, runDir.resolve(name + ".log")));
    int exitCode = process.awaitExit(timeout);
    String output = Files.readString(process.log(), StandardCharsets.UTF_8);
    assertThat(exitCode).as("%s exit code; output:%n%s", name, output).isZero();
    return output;
  }
}
