package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Jobs and nodes end to end, with real processes: the server as {@code ./rendertrust dev} runs it and node
 * agents as operators run the standalone jar, each in a JVM of its own, driven over REST by a
 * creator and an operator. One server for the whole class (it takes seconds to start); the
 * scenarios run in order and build on each other's money: 100 credits bought, four priced jobs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevServerWithAgentsIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_local";
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
  /**
   * A job type run by a command (agent.json), for jobs that must still be running when something
   * is killed or restarted: sleeps payload.seconds, then returns its payload. Executed without a
   * shell by the agent; the shell here is the operator's own configuration.
   */
  private static final String SLEEP_JOB = "e2e_sleep";
  private static final List<String> SLEEP_COMMAND = List.of("sh", "-c",
      "echo PROGRESS 10 sleeping; sleep \"$(tr -dc 0-9 < \"$1\")\" && cp \"$1\" \"$2\"", "e2e-sleep", "{payload}",
      "{output}");
  private static final List<String> CAPABILITIES = List.of("echo", "cpu_benchmark", SLEEP_JOB);

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private E2eSettings settings;
  private Path runDir;
  private StripeStandIn outside;
  private ServerProcess server;
  private Rest rest;
  private User operator;
  private User creator;
  private AgentProcess firstAgent;
  private AgentProcess secondAgent;
  /** The agent left after the kill scenario. */
  private AgentProcess survivor;

  private record User(UUID id, String email, String accessToken) {}

  @BeforeAll
  void startServerAndAnAgent() throws Exception {
    settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("run-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    outside = new StripeStandIn();
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), Map.ofEntries(
        Map.entry("RT_STRIPE_SECRET_KEY", "sk_test_e2e"),
        Map.entry("RT_STRIPE_API_BASE", outside.baseUrl().toString()),
        Map.entry("RT_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        // short timings, so that a lost agent's job is retried within seconds, not half a minute
        // (long enough for an agent to reconnect to a restarted server: its backoff is capped at 1 s)
        Map.entry("RT_NODE_RECONNECT_GRACE_SECONDS", "8"),
        Map.entry("RT_SWEEPER_INTERVAL_MS", "500"),
        Map.entry("RT_NODE_SYNC_INTERVAL_MS", "1000"),
        Map.entry("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", "2"),
        Map.entry("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", "10"),
        Map.entry("RT_SHUTDOWN_GRACE_SECONDS", "2")));
    server.start();
    rest = new Rest(server.baseUrl());

    operator = registerUser("operator");
    creator = registerUser("creator");
    firstAgent = newAgent("node-one");
    firstAgent.register(server.baseUrl(), CAPABILITIES, operator.accessToken());
    firstAgent.run();
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      for (AgentProcess agent : new AgentProcess[] {firstAgent, secondAgent}) {
        if (agent != null) {
          agent.stop();
        }
      }
      processes.close();
    }
    if (outside != null) {
      outside.close();
    }
  }

  @Test
  @Order(1)
  void aCreatorsEchoJobCompletesAndItsResultDownloadsByteForByte() throws Exception {
    byte[] input = new byte[300_000];
    new Random(6).nextBytes(input);
    URI inputUrl = outside.host("input.bin", input);

    JsonNode submitted = submit(Map.of("job_type", "echo", "payload_ref", inputUrl.toString()));
    assertThat(submitted.path("node_id").asText()).isEqualTo(firstAgent.nodeId());

    JsonNode job = awaitCompleted(submitted.path("job_id").asText());
    assertThat(job.path("job_type").asText()).isEqualTo("echo");
    assertThat(download(job.path("id").asText())).isEqualTo(input);
  }

  @Test
  @Order(2)
  void aCpuBenchmarkCostsTheCreatorOneCreditOfWhichTheOperatorEarnsSeventyPercent() throws Exception {
    buyHundredCredits(creator);
    assertThat(balance(creator)).isEqualTo("100.0000");

    JsonNode submitted = submit(Map.of("job_type", "cpu_benchmark", "payload", Map.of("limit", 200_000)));
    JsonNode job = awaitCompleted(submitted.path("job_id").asText());
    JsonNode result = Rest.JSON.readTree(download(job.path("id").asText()));
    assertThat(result.path("primes_found").asLong()).isEqualTo(17_984);

    awaitBalance(creator, "99.0000");
    JsonNode charge = rest.get("/api/v1/credits/history?limit=1", creator.accessToken())
        .expect(200, "history").path("entries").get(0);
    assertThat(charge.path("direction").asText()).isEqualTo("DEBIT");
    assertThat(charge.path("source").asText()).isEqualTo("USAGE");
    assertThat(charge.path("amount").asText()).isEqualTo("1.0000");
    assertThat(charge.path("reference_id").asText()).isEqualTo(job.path("id").asText());
    assertThat(charge.path("balance_after").asText()).isEqualTo("99.0000");

    DevDatabase database = new DevDatabase(server.jdbcUrl());
    assertThat(database.balance(operator.id(), "OPERATOR_EARNINGS")).isEqualTo(7_000);
    assertThat(database.platformRevenue()).isEqualTo(3_000);
    assertThat(database.ledgerViolations()).isEmpty();
  }

  @Test
  @Order(3)
  void aJobWhoseAgentIsKilledMidJobIsRetriedOnAnotherAgent() throws Exception {
    secondAgent = newAgent("node-two");
    secondAgent.register(server.baseUrl(), CAPABILITIES, operator.accessToken());
    secondAgent.run();

    String jobId = submit(Map.of("job_type", SLEEP_JOB, "payload", Map.of("seconds", 4))).path("job_id").asText();
    JsonNode running = awaitJob(jobId, "RUNNING", job -> job.path("status").asText().equals("RUNNING"));
    String firstNode = running.path("node_id").asText();
    AgentProcess victim = firstNode.equals(firstAgent.nodeId()) ? firstAgent : secondAgent;
    survivor = victim == firstAgent ? secondAgent : firstAgent;
    assertThat(victim.nodeId()).isEqualTo(firstNode);

    victim.kill();

    JsonNode job = awaitCompleted(jobId);
    assertThat(job.path("node_id").asText()).isEqualTo(survivor.nodeId());
    assertThat(job.path("retry_count").asInt()).isEqualTo(1);
    assertThat(Rest.JSON.readTree(download(jobId)).path("seconds").asInt()).isEqualTo(4);
    // charged once, for the run that delivered
    awaitBalance(creator, "98.0000");
    DevDatabase database = new DevDatabase(server.jdbcUrl());
    assertThat(database.balance(operator.id(), "OPERATOR_EARNINGS")).isEqualTo(14_000);
    assertThat(database.ledgerViolations()).isEmpty();
  }

  @Test
  @Order(4)
  void afterAServerRestartTheAgentReconnectsByItselfAndFinishesItsJobs() throws Exception {
    AgentProcess agent = survivor != null ? survivor : firstAgent;
    // One job ends while the server is down (its result waits for the store to come back), one
    // runs longer, into or past the restart; both are this agent's to finish, with no retry.
    String endsWhileDown = submit(Map.of("job_type", SLEEP_JOB, "payload", Map.of("seconds", 4))).path("job_id").asText();
    String runsLonger = submit(Map.of("job_type", SLEEP_JOB, "payload", Map.of("seconds", 12))).path("job_id").asText();
    for (String jobId : List.of(endsWhileDown, runsLonger)) {
      awaitJob(jobId, "RUNNING on " + agent.name(), job -> job.path("status").asText().equals("RUNNING")
          && job.path("node_id").asText().equals(agent.nodeId()));
    }

    server.stop();
    assertThat(server.exitCode()).as("exit code of a SIGTERM-stopped server").isIn(0, 143);
    agent.awaitRelayConnected(false, Duration.ofSeconds(30));
    server.start();
    agent.awaitRelayConnected(true, Duration.ofSeconds(60));

    for (String jobId : List.of(endsWhileDown, runsLonger)) {
      JsonNode finished = awaitCompleted(jobId);
      assertThat(finished.path("node_id").asText()).isEqualTo(agent.nodeId());
      assertThat(finished.path("retry_count").asInt()).as("retries of %s, which kept running across the restart", jobId)
          .isZero();
    }
    assertThat(Rest.JSON.readTree(download(endsWhileDown)).path("seconds").asInt()).isEqualTo(4);
    assertThat(Rest.JSON.readTree(download(runsLonger)).path("seconds").asInt()).isEqualTo(12);

    String afterRestart = submit(Map.of("job_type", "echo", "payload", Map.of("message", "after the restart")))
        .path("job_id").asText();
    awaitCompleted(afterRestart);
    assertThat(new String(download(afterRestart), StandardCharsets.UTF_8)).isEqualTo("after the restart");

    // four priced jobs in all (1 credit each), each charged once
    awaitBalance(creator, "96.0000");
    DevDatabase database = new DevDatabase(server.jdbcUrl());
    assertThat(database.balance(operator.id(), "OPERATOR_EARNINGS")).isEqualTo(4 * 7_000);
    assertThat(database.platformRevenue()).isEqualTo(4 * 3_000);
    assertThat(database.ledgerViolations()).isEmpty();
  }

  @Test
  @Order(5)
  void theSdkQuickstartCompletesAnEchoJobAgainstTheDevServer() throws Exception {
    // The SDK example of docs/sdk-java.md, run as `./rendertrust sdk-example URL` runs it: its own JVM, over gRPC.
    ManagedProcess quickstart = processes.track(ManagedProcess.start("sdk-quickstart",
        List.of(settings.java().toString(), "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + runDir,
            "-cp", System.getProperty("java.class.path"),
            "com.rendertrust.sdk.examples.Quickstart", server.baseUrl().toString()),
        Map.of(), runDir, runDir.resolve("sdk-quickstart.log")));
    int exitCode = quickstart.awaitExit(Duration.ofMinutes(2));
    String output = Files.readString(quickstart.log(), StandardCharsets.UTF_8);
    assertThat(exitCode).as("Quickstart exit code; output:%n%s", output).isZero();
    assertThat(output).contains("COMPLETED on node").contains("result (").contains(": hello from the Java SDK");
  }

  // ---- a creator's and an operator's REST calls

  private User registerUser(String role) {
    String email = role + "-" + UUID.randomUUID().toString().substring(0, 8) + "@e2e.example.com";
    JsonNode registered = rest.post("/api/v1/auth/register", null,
        Map.of("email", email, "name", "E2E " + role, "password", "correct horse battery"))
        .expect(201, "register " + role);
    return new User(UUID.fromString(registered.path("user").path("id").asText()), email,
        registered.path("tokens").path("access_token").asText());
  }

  private void buyHundredCredits(User user) {
    new StripePurchase(rest, outside, WEBHOOK_SECRET).buyHundredCredits(user.accessToken());
  }

  /**
   * The charge of a completed job is settled right after its status changes (docs/jobs.md, "Money"),
   * so a balance is awaited rather than read once; the operator's and platform's legs are
   * written in the same transaction as the creator's.
   */
  private void awaitBalance(User user, String expected) {
    String[] last = new String[1];
    Await.until("balance " + expected, Duration.ofSeconds(30),
        () -> Optional.of(last[0] = balance(user)).filter(expected::equals), () -> last[0]);
  }

  private String balance(User user) {
    return rest.get("/api/v1/credits/balance", user.accessToken()).expect(200, "balance").path("balance").asText();
  }

  private JsonNode submit(Map<String, Object> job) {
    return rest.post("/api/v1/jobs/dispatch", creator.accessToken(), job).expect(200, "dispatch " + job);
  }

  private JsonNode awaitCompleted(String jobId) {
    JsonNode job = awaitJob(jobId, "COMPLETED", found -> switch (found.path("status").asText()) {
      case "COMPLETED", "FAILED", "CANCELLED" -> true;
      default -> false;
    });
    assertThat(job.path("status").asText()).as("job %s: %s", jobId, job).isEqualTo("COMPLETED");
    return job;
  }

  private JsonNode awaitJob(String jobId, String what, java.util.function.Predicate<JsonNode> condition) {
    JsonNode[] last = new JsonNode[1];
    return Await.until("job " + jobId + " " + what, JOB_TIMEOUT, () -> {
      last[0] = rest.get("/api/v1/jobs/" + jobId, creator.accessToken()).expect(200, "job " + jobId);
      return Optional.of(last[0]).filter(condition);
    }, () -> String.valueOf(last[0]));
  }

  /** The result through the presigned URL the server hands the creator. */
  private byte[] download(String jobId) {
    JsonNode link = rest.get("/api/v1/jobs/" + jobId + "/result", creator.accessToken()).expect(200, "result link");
    Rest.Response file = rest.fetch(URI.create(link.path("download_url").asText()));
    assertThat(file.status()).as("download of %s", link).isEqualTo(200);
    return file.body();
  }

  private AgentProcess newAgent(String name) {
    AgentProcess agent = new AgentProcess(settings, processes, name, runDir.resolve(name), runDir.resolve(name + ".log"));
    agent.configure(Map.of("slots", 2, "commands", Map.of(SLEEP_JOB, SLEEP_COMMAND)));
    return agent;
  }
}
