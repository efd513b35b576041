package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.e2e.DevClient.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21's fault suite, on real processes: the dev server and a node agent in JVMs of their
 * own, the embedded Redis and anvil, and the embedded PostgreSQL, each stopped (SIGSTOP, then
 * SIGCONT) or killed (SIGKILL) while jobs run; PostgreSQL connections terminated in the middle
 * of bursts of submissions; the server killed with jobs queued; 200 slowloris connections. After
 * each fault: the ledger invariants hold, every job ends (none is stuck), and each job is charged
 * at most once: the creator's balance is 100 credits less one per completed priced job.
 * The longer soak of the same faults is bench/run-faults.sh.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultSuiteIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_faults";
  private static final String SLEEP_JOB = AgentProcess.SLEEP_JOB;
  private static final Duration PAUSE = Duration.ofSeconds(4);
  /** bench/run-faults.sh raises these for its soak. */
  private static final int SLOWLORIS = Integer.getInteger("e2e.faults.slowloris", 200);
  private static final int BURSTS = Integer.getInteger("e2e.faults.bursts", 3);
  private static final int BURST_SIZE = Integer.getInteger("e2e.faults.burstSize", 24);

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private StripeStandIn stripe;
  private ServerProcess server;
  private DevClient client;
  private User creator;
  private AgentProcess agent;
  /** Every job the creator submitted; checked after each fault. */
  private final Set<String> jobs = ConcurrentHashMap.newKeySet();

  @BeforeAll
  void startServerAndAgent() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    Path runDir = settings.workDir().resolve("faults-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"),
        ServerProcess.withStripeAndFastTimings(stripe, WEBHOOK_SECRET));
    server.start();
    client = new DevClient(new Rest(server.baseUrl()), stripe, WEBHOOK_SECRET);
    User operator = client.registerUser("operator");
    creator = client.registerUser("creator");
    client.buyHundredCredits(creator);
    agent = new AgentProcess(settings, processes, "fault-node", runDir.resolve("fault-node"),
        runDir.resolve("fault-node.log"));
    agent.configureWithSleepJob(2);
    agent.register(server.baseUrl(), List.of("echo", SLEEP_JOB), operator.accessToken());
    agent.run();
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      if (agent != null) {
        agent.stop();
      }
      processes.close();
    }
    if (stripe != null) {
      stripe.close();
    }
  }

  /** The promises every fault must keep. */
  @AfterEach
  void everyJobEndsAndIsChargedAtMostOnce() throws Exception {
    long completedPriced = 0;
    for (String jobId : jobs) {
      JsonNode job = client.awaitJob(creator, jobId, "to end", DevClient::terminal);
      if (job.path("status").asText().equals("COMPLETED") && job.path("job_type").asText().equals(SLEEP_JOB)) {
        completedPriced++;
      }
    }
    assertThat(listedJobs()).as("the creator's jobs as the server lists them").isEqualTo(jobs);
    client.awaitBalance(creator, String.format("%d.0000", 100 - completedPriced));
    assertThat(new DevDatabase(server.jdbcUrl()).ledgerViolations()).isEmpty();
  }

  @Test
  @Order(1)
  void theServerStoppedWithSigstopAndContinuedFinishesItsJobs() throws Exception {
    List<String> running = submitAndAwaitRunning(2, 2);
    ManagedProcess.signal(server.pid(), "STOP");
    Thread.sleep(PAUSE.toMillis());
    ManagedProcess.signal(server.pid(), "CONT");
    running.forEach(jobId -> client.awaitCompleted(creator, jobId));
  }

  @Test
  @Order(2)
  void anAgentStoppedWithSigstopAndThenKilledWithSigkillLosesNoJob() throws Exception {
    List<String> paused = submitAndAwaitRunning(1, 3);
    ManagedProcess.signal(agent.pid(), "STOP");
    Thread.sleep(PAUSE.toMillis());
    ManagedProcess.signal(agent.pid(), "CONT");
    client.awaitCompleted(creator, paused.get(0));

    String killedMidJob = submitAndAwaitRunning(1, 6).get(0);
    agent.kill();
    agent.run();
    client.awaitCompleted(creator, killedMidJob);
  }

  @Test
  @Order(3)
  void theEmbeddedRedisStoppedAndKilledDegradesTheServerOnlyWhileItIsDown() throws Exception {
    freezeThenKill("redis");
  }

  @Test
  @Order(4)
  void anvilStoppedAndKilledComesBackAndAnchoringResumes() throws Exception {
    freezeThenKill("anvil");
  }

  /**
   * SIGSTOP of one of the server's embedded processes while jobs are submitted, SIGCONT, then
   * SIGKILL: the supervisor starts it again, readiness returns to ready, the jobs complete.
   */
  private void freezeThenKill(String name) throws InterruptedException {
    long frozen = server.embeddedPids().get(name);
    ManagedProcess.signal(frozen, "STOP");
    List<String> meanwhile = new ArrayList<>(submit(2, 1));
    Thread.sleep(PAUSE.toMillis());
    ManagedProcess.signal(frozen, "CONT");
    awaitReady();
    ManagedProcess.signal(frozen, "KILL");
    meanwhile.addAll(submit(1, 1));
    Await.until("a new " + name, Duration.ofSeconds(30), () -> Optional.ofNullable(server.embeddedPids().get(name))
        .filter(pid -> pid != frozen && ManagedProcess.running(pid)), () -> server.embeddedPids().toString());
    awaitReady();
    meanwhile.forEach(jobId -> client.awaitCompleted(creator, jobId));
  }

  /**
   * Each submission carries an idempotency key and is retried with it until it is accepted, as
   * a client would after a 503: however the terminations cut the server's transactions, each key
   * ends as exactly one job (the listing check after the test), charged once.
   */
  @Test
  @Order(5)
  void postgresConnectionsTerminatedInTheMiddleOfBurstsLoseAndDuplicateNothing() throws Exception {
    DevDatabase database = new DevDatabase(server.jdbcUrl());
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    long terminated = 0;
    try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
      for (int burst = 0; burst < BURSTS; burst++) {
        List<Future<String>> accepted = new ArrayList<>();
        for (int i = 0; i < BURST_SIZE; i++) {
          String jobType = i % 3 == 0 ? SLEEP_JOB : "echo";
          accepted.add(clients.submit(() -> submitUntilAccepted(jobType, statuses)));
        }
        for (int cut = 0; cut < 5; cut++) {
          terminated += database.terminateServerConnections();
          Thread.sleep(60);
        }
        for (Future<String> job : accepted) {
          jobs.add(job.get());
        }
      }
    }
    assertThat(terminated).as("connections terminated").isPositive();
    // 503: the database connection was lost (never a 500, on any path); 429: the submission
    // gate's burst limit. Both say "retry".
    assertThat(statuses.keySet()).as("answers during the terminations: %s", statuses)
        .isSubsetOf(Set.of(200, 429, 503));
  }

  @Test
  @Order(6)
  void theServerKilledWithJobsQueuedFinishesThemAfterItsRestart() throws Exception {
    // two slots: two run, three wait
    List<String> submitted = submit(5, 3);
    assertThat(submitted.stream().map(this::status)).contains("QUEUED");
    Map<String, Long> before = server.embeddedPids();
    server.crash();
    Await.until("the crashed server's processes to stop", Duration.ofSeconds(40), () -> before.values().stream()
        .noneMatch(ManagedProcess::running) ? Optional.of(true) : Optional.empty(), before::toString);
    server.start();
    agent.awaitRelayConnected(true, Duration.ofSeconds(60));
    submitted.forEach(jobId -> client.awaitCompleted(creator, jobId));
  }

  @Test
  @Order(7)
  void slowlorisConnectionsDoNotStopNormalRequests() throws Exception {
    try (Slowloris slow = Slowloris.open(server.baseUrl(), SLOWLORIS)) {
      for (int round = 0; round < 8; round++) {
        slow.trickle();
        long started = System.nanoTime();
        client.balance(creator);
        submit(1, 0);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a normal request during slowloris")
            .isLessThan(Duration.ofSeconds(5));
        Thread.sleep(1_000);
      }
    }
    awaitReady();
  }

  // ---- helpers

  private String submitUntilAccepted(String jobType, Map<Integer, Integer> statuses) throws InterruptedException {
    String key = UUID.randomUUID().toString();
    Map<String, Object> job = jobType.equals(SLEEP_JOB)
        ? Map.of("job_type", jobType, "payload", Map.of("seconds", 0), "idempotency_key", key)
        : Map.of("job_type", jobType, "payload", Map.of("message", key), "idempotency_key", key);
    for (int attempt = 0; attempt < 40; attempt++) {
      Rest.Response response = client.rest().post("/api/v1/jobs/dispatch", creator.accessToken(), job);
      statuses.merge(response.status(), 1, Integer::sum);
      if (response.status() == 200) {
        return response.json().path("job_id").asText();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("dispatch with idempotency key " + key + " was never accepted: " + statuses);
  }

  /** {@code count} sleep jobs of {@code seconds} each, tracked. */
  private List<String> submit(int count, int seconds) {
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      submitted.add(client.submit(creator, Map.of("job_type", SLEEP_JOB, "payload", Map.of("seconds", seconds)))
          .path("job_id").asText());
    }
    jobs.addAll(submitted);
    return submitted;
  }

  private List<String> submitAndAwaitRunning(int count, int seconds) {
    List<String> submitted = submit(count, seconds);
    submitted.forEach(jobId -> client.awaitJob(creator, jobId, "RUNNING",
        job -> job.path("status").asText().equals("RUNNING")));
    return submitted;
  }

  private String status(String jobId) {
    return client.rest().get("/api/v1/jobs/" + jobId, creator.accessToken()).expect(200, "job").path("status").asText();
  }

  private Set<String> listedJobs() {
    Set<String> listed = new java.util.HashSet<>();
    for (int offset = 0; ; offset += 100) {
      JsonNode page = client.rest().get("/api/v1/jobs?limit=100&offset=" + offset, creator.accessToken())
          .expect(200, "jobs");
      page.path("jobs").forEach(job -> listed.add(job.path("id").asText()));
      if (page.path("jobs").size() < 100) {
        return listed;
      }
    }
  }

  private void awaitReady() {
    String[] last = new String[1];
    Await.until("readiness ready", Duration.ofSeconds(60), () -> {
      JsonNode ready = server.readiness();
      last[0] = ready.toString();
      return ready.path("status").asText().equals("ready") ? Optional.of(true) : Optional.empty();
    }, () -> last[0]);
  }
}
