package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.e2e.DevClient.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19 on real processes: the server is killed with SIGKILL while a group commit of
 * completions ({@code CompletionBatch}) is in the middle of its transaction, its holds already
 * captured in it. After the restart none of that batch is visible, and once the agents are back
 * every job ends COMPLETED with its hold captured: no hold stays ACTIVE, the ledger's invariants
 * hold and each node's {@code active_jobs} equals the tasks it holds.
 *
 * <p>No hook in the server: the test holds row locks on the {@code nodes} rows from a connection
 * of its own, and a batch locks those rows last, after the money moved. Three agents of one slot
 * each, because a node's stream hands its frames over one at a time: the first agent's result is
 * a batch of its own, stopped on its node's row while the two others' results queue behind it,
 * then let through (it commits: the control); those two form the next batch, the one killed. Each
 * job runs until the test creates its agent's gate file, so the order is the test's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompletionBatchCrashIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_batch_crash";
  private static final String GATED_JOB = "e2e_gated";
  private static final Duration WAIT = Duration.ofSeconds(90);

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private DevClient client;
  private User creator;
  private final List<AgentProcess> agents = new ArrayList<>();

  @BeforeAll
  void startServerAndThreeAgents() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("batch-crash-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    Map<String, String> environment = new HashMap<>(ServerProcess.withStripeAndFastTimings(stripe, WEBHOOK_SECRET));
    // Heartbeats write the nodes' rows too (and share one group commit): none may fall in the
    // seconds the test holds those rows, or they would stall the streams behind them. It also makes
    // the agents' in-doubt window (two intervals) cover the crash: they send their results again.
    environment.put("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", "300");
    environment.put("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", "600");
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), environment);
    server.start();
    client = new DevClient(new Rest(server.baseUrl()), stripe, WEBHOOK_SECRET);
    User operator = client.registerUser("operator");
    creator = client.registerUser("creator");
    client.buyHundredCredits(creator);
    for (String name : List.of("batch-a", "batch-b", "batch-c")) {
      AgentProcess agent = new AgentProcess(settings, processes, name, runDir.resolve(name), runDir.resolve(name + ".log"));
      // waits for its gate file, then returns its payload (a price of 1 credit: RT_JOB_PRICES' fallback)
      agent.configure(Map.of("slots", 1, "commands", Map.of(GATED_JOB, List.of("sh", "-c",
          "while [ ! -e \"$1\" ]; do sleep 0.1; done; cp \"$2\" \"$3\"", "e2e-gated", gate(name).toString(),
          "{payload}", "{output}"))));
      agent.register(server.baseUrl(), List.of(GATED_JOB), operator.accessToken());
      agent.run();
      agents.add(agent);
    }
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      for (AgentProcess agent : agents) {
        if (agent.isRunning()) {
          agent.stop();
        }
      }
      processes.close();
    }
    if (stripe != null) {
      stripe.close();
    }
  }

  @Test
  void aServerKilledInTheMiddleOfABatchLeavesNoneOfItAndEveryHoldIsCapturedAfterwards() throws Exception {
    // one job per agent (one slot each), all RUNNING before any node row is locked
    Map<AgentProcess, String> jobOf = new HashMap<>();
    for (int i = 0; i < agents.size(); i++) {
      String jobId = client.submit(creator, Map.of("job_type", GATED_JOB, "payload", Map.of("n", i)))
          .path("job_id").asText();
      client.awaitJob(creator, jobId, "RUNNING", job -> job.path("status").asText().equals("RUNNING"));
      String nodeId = query("SELECT node_id::text FROM job_tasks WHERE job_id = CAST(? AS uuid)", jobId).get(0).get(0);
      jobOf.put(agents.stream().filter(agent -> agent.nodeId().equals(nodeId)).findFirst().orElseThrow(), jobId);
    }
    assertThat(jobOf).as("one job on each agent").hasSize(3);
    AgentProcess first = agents.get(0);
    List<AgentProcess> others = agents.subList(1, 3);
    List<String> killedBatch = others.stream().map(jobOf::get).toList();

    try (Connection firstNode = lockNodes(first); Connection otherNodes = lockNodes(others.get(0), others.get(1))) {
      // the first result: a batch of one, stopped on its last statement (its node's row)
      open(first);
      String firstXid = awaitBatchWaitingOnNodes(null);
      assertWrittenButInvisible(firstXid, List.of(jobOf.get(first)));
      // the two other results arrive while it waits and queue for the next batch
      others.forEach(this::open);
      for (AgentProcess agent : others) {
        Await.until(agent.name() + " done with its job", WAIT, () -> agent.health()
            .filter(health -> health.path("running_jobs").asInt() == 0), () -> agent.health().toString());
      }
      Thread.sleep(2_000); // the result frames, written to the stream, reach the server
      firstNode.commit();
      awaitHold(jobOf.get(first), "CAPTURED");
      // the next batch takes both queued results in one transaction and stops on its last statement
      String batchXid = awaitBatchWaitingOnNodes(firstXid);
      assertWrittenButInvisible(batchXid, killedBatch);

      // agents frozen: what the restarted server shows is only what committed before the crash
      agents.forEach(agent -> ManagedProcess.signal(agent.pid(), "STOP"));
      try {
        Map<String, Long> embedded = server.embeddedPids();
        server.crash();
        Await.until("the crashed server's processes to stop", WAIT, () -> embedded.values().stream()
            .noneMatch(ManagedProcess::running) ? Optional.of(true) : Optional.empty(), embedded::toString);
        // the node locks were held until PostgreSQL itself stopped: the batch never got past them
        assertThat(otherNodes.isValid(5)).as("the locking session after the crash").isFalse();
        server.start();
        for (String jobId : killedBatch) {
          List<String> state = state(jobId);
          assertThat(state.subList(0, 2)).as("job %s of the killed batch after the restart: %s", jobId, state)
              .doesNotContain("COMPLETED");
          assertThat(state.subList(2, 4)).as("its hold, and no usage posted").containsExactly("ACTIVE", "0");
        }
        assertThat(state(jobOf.get(first))).as("the batch committed before").containsExactly("COMPLETED", "COMPLETED",
            "CAPTURED", "1", "1");
        assertConsistent();
      } finally {
        agents.forEach(agent -> ManagedProcess.signal(agent.pid(), "CONT"));
      }
    }

    // The agents come back. A result written shortly before a stream broke is in doubt (there is
    // no acknowledgement): each agent sends it again after reconnecting, so the lost batch's jobs
    // complete on their first attempt, nothing run twice.
    agents.forEach(agent -> agent.awaitRelayConnected(true, WAIT));
    for (String jobId : jobOf.values()) {
      assertThat(client.awaitCompleted(creator, jobId).path("charged").asText()).isEqualTo("1.0000");
      awaitHold(jobId, "CAPTURED");
      assertThat(state(jobId)).as("job %s at the end", jobId)
          .containsExactly("COMPLETED", "COMPLETED", "CAPTURED", "1", "1");
    }
    assertThat(query("SELECT job_id::text FROM credit_holds WHERE status = 'ACTIVE'")).as("active holds").isEmpty();
    client.awaitBalance(creator, "97.0000");
    assertConsistent();
  }

  /** The ledger's invariants, and each node's slot count against the tasks it holds. */
  private void assertConsistent() throws SQLException {
    assertThat(database().ledgerViolations()).isEmpty();
    assertThat(query("SELECT n.id::text, n.active_jobs, (SELECT count(*) FROM job_tasks t"
        + " WHERE t.node_id = n.id AND t.status IN ('DISPATCHED', 'RUNNING')) FROM nodes n"))
        .as("nodes: id, active_jobs, tasks held").hasSize(3).allSatisfy(node -> assertThat(node.get(1))
            .as("active_jobs of %s", node).isEqualTo(node.get(2)));
  }

  /** Job status, task status, hold status, transfers from the creator naming the job (usage), task attempts. */
  private List<String> state(String jobId) {
    return query("SELECT j.status, t.status, h.status, (SELECT count(*) FROM credit_transfers c"
        + " WHERE c.debit_account_id = h.account_id AND c.reference_id = j.id::text), t.attempts FROM jobs j"
        + " JOIN job_tasks t ON t.job_id = j.id JOIN credit_holds h ON h.job_id = j.id WHERE j.id = CAST(? AS uuid)",
        jobId).get(0);
  }

  /**
   * The transaction id of the one backend waiting for a row lock in the batch's last statement
   * (other than {@code previous}): that batch's transaction, stopped after its holds were settled.
   */
  private String awaitBatchWaitingOnNodes(String previous) {
    AtomicReference<List<List<String>>> waiting = new AtomicReference<>();
    return Await.until("a completion batch waiting on the nodes' rows", WAIT, () -> {
      List<List<String>> backends = query("SELECT backend_xid::text FROM pg_stat_activity"
          + " WHERE wait_event_type = 'Lock' AND query LIKE '%freed.slots%' AND pid <> pg_backend_pid()");
      waiting.set(backends);
      return backends.size() == 1 && backends.get(0).get(0) != null && !backends.get(0).get(0).equals(previous)
          ? Optional.of(backends.get(0).get(0)) : Optional.empty();
    }, () -> String.valueOf(waiting.get()));
  }

  /**
   * Each job's row and hold were written by transaction {@code xid} (their visible versions carry
   * it as xmax), yet every other session still sees the job RUNNING and the hold ACTIVE.
   */
  private void assertWrittenButInvisible(String xid, List<String> jobIds) {
    for (String jobId : jobIds) {
      assertThat(query("SELECT j.status, j.xmax::text, h.status, h.xmax::text FROM jobs j"
          + " JOIN credit_holds h ON h.job_id = j.id WHERE j.id = CAST(? AS uuid)", jobId))
          .as("job %s inside transaction %s", jobId, xid).containsExactly(List.of("RUNNING", xid, "ACTIVE", xid));
    }
  }

  private void awaitHold(String jobId, String status) {
    Await.until("the hold of job " + jobId + " " + status, WAIT,
        () -> Optional.of(state(jobId)).filter(state -> state.get(2).equals(status)), () -> state(jobId).toString());
  }

  /** An open transaction holding {@code FOR UPDATE} locks on the agents' node rows until it ends. */
  private Connection lockNodes(AgentProcess... locked) throws SQLException {
    Connection connection = DriverManager.getConnection(server.jdbcUrl());
    connection.setAutoCommit(false);
    try (PreparedStatement lock = connection.prepareStatement("SELECT id FROM nodes WHERE id = ANY(?) FOR UPDATE")) {
      lock.setArray(1, connection.createArrayOf("uuid", Arrays.stream(locked).map(AgentProcess::nodeId).toArray()));
      lock.executeQuery().close();
    }
    return connection;
  }

  private DevDatabase database() {
    return new DevDatabase(server.jdbcUrl());
  }

  private List<List<String>> query(String sql, Object... parameters) {
    try {
      return database().rows(sql, parameters);
    } catch (SQLException e) {
      throw new AssertionError(sql, e);
    }
  }

  private Path gate(String agentName) {
    return runDir.resolve("open-" + agentName);
  }

  /** Lets the agent's job finish. */
  private void open(AgentProcess agent) {
    try {
      Files.createFile(gate(agent.name()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
