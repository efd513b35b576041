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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19 on real processes: the server is killed with SIGKILL while a group commit of
 * submissions ({@code SubmissionBatch}) is in the middle of its transaction, the holds of two
 * creators' jobs already placed in it. After the restart none of that batch is visible (no job, no
 * hold, nothing held on the creators' accounts), the batch committed before it is whole, and once
 * the creators submit again every job completes with its hold captured: no hold stays ACTIVE, the
 * ledger's invariants hold and each node's {@code active_jobs} equals the tasks it holds.
 *
 * <p>No hook in the server: the test holds row locks from a connection of its own. The first
 * creator's account is locked, so the first submission (type one) is a batch of its own, stopped
 * on its hold while the two other creators' submissions (type two) queue behind it. The node of
 * type two is locked too, so once the first batch is let through (it commits: the control), the
 * next batch takes both queued submissions, places their holds and stops on its slot claim.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubmissionBatchCrashIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_submission_crash";
  private static final String TYPE_ONE = "e2e_copy_one";
  private static final String TYPE_TWO = "e2e_copy_two";
  private static final List<String> COPY = List.of("sh", "-c", "cp \"$1\" \"$2\"", "e2e-copy", "{payload}", "{output}");
  private static final Duration WAIT = Duration.ofSeconds(90);

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private DevClient client;
  private AgentProcess agentOne;
  private AgentProcess agentTwo;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  void startServerAndTwoAgents() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("submission-crash-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    Map<String, String> environment = new HashMap<>(ServerProcess.withStripeAndFastTimings(stripe, WEBHOOK_SECRET));
    // heartbeats write the nodes' rows: none may fall in the seconds the test holds the row of node two
    environment.put("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", "300");
    environment.put("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", "600");
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), environment);
    server.start();
    client = new DevClient(new Rest(server.baseUrl()), stripe, WEBHOOK_SECRET);
    User operator = client.registerUser("operator");
    agentOne = agent(settings, "submit-one", TYPE_ONE, operator);
    agentTwo = agent(settings, "submit-two", TYPE_TWO, operator);
  }

  private AgentProcess agent(E2eSettings settings, String name, String type, User operator) throws Exception {
    AgentProcess agent = new AgentProcess(settings, processes, name, runDir.resolve(name), runDir.resolve(name + ".log"));
    agent.configure(Map.of("slots", 2, "commands", Map.of(type, COPY)));
    agent.register(server.baseUrl(), List.of(type), operator.accessToken());
    agent.run();
    return agent;
  }

  @AfterAll
  void stopEverything() throws Exception {
    threads.shutdownNow();
    if (processes != null) {
      for (AgentProcess agent : List.of(agentOne, agentTwo)) {
        if (agent != null && agent.isRunning()) {
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
  void aServerKilledInTheMiddleOfASubmissionBatchLeavesNoneOfIt() throws Exception {
    User first = client.registerUser("first");
    List<User> queued = List.of(client.registerUser("second"), client.registerUser("third"));
    client.buyHundredCredits(first);
    queued.forEach(client::buyHundredCredits);
    agentOne.awaitRelayConnected(true, WAIT);
    agentTwo.awaitRelayConnected(true, WAIT);

    CompletableFuture<String> firstJob;
    List<CompletableFuture<Rest.Response>> lost;
    try (Connection firstAccount = lock("SELECT 1 FROM credit_accounts WHERE owner_id = CAST(? AS uuid)"
        + " AND kind = 'USER' FOR UPDATE", first.id().toString());
        Connection nodeTwo = lock("SELECT 1 FROM nodes WHERE id = CAST(? AS uuid) FOR UPDATE", agentTwo.nodeId())) {
      // the first submission: a batch of one, stopped on its creator's account
      firstJob = CompletableFuture.supplyAsync(() -> client.submit(first, Map.of("job_type", TYPE_ONE,
          "payload", Map.of("n", 1))).path("job_id").asText(), threads);
      String firstBackend = awaitBatchWaiting("credit_holds_place_all", null);
      // two more arrive while it waits, and queue for the next batch
      lost = queued.stream().map(creator -> CompletableFuture.supplyAsync(() -> client.rest().post(
          "/api/v1/jobs/dispatch", creator.accessToken(), Map.of("job_type", TYPE_TWO, "payload", Map.of("n", 2))),
          threads)).toList();
      Thread.sleep(2_000); // both requests reach the server and wait for the next batch
      firstAccount.commit();
      assertThat(firstJob.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the batch let through commits").isNotBlank();
      // the next batch takes both, places their holds, and stops on the slot claim of node two
      // (inside job_submissions_place, the batch's call for its slots and rows)
      String batchXid = awaitBatchWaiting("job_submissions_place", firstBackend);
      for (User creator : queued) {
        assertThat(query("SELECT held::text, xmax::text FROM credit_accounts WHERE owner_id = CAST(? AS uuid)"
            + " AND kind = 'USER'", creator.id().toString())).as("%s's account inside transaction %s", creator.email(),
            batchXid).containsExactly(List.of("0", batchXid));
      }

      ManagedProcess.signal(agentOne.pid(), "STOP");
      ManagedProcess.signal(agentTwo.pid(), "STOP");
      try {
        Map<String, Long> embedded = server.embeddedPids();
        server.crash();
        Await.until("the crashed server's processes to stop", WAIT, () -> embedded.values().stream()
            .noneMatch(ManagedProcess::running) ? Optional.of(true) : Optional.empty(), embedded::toString);
        assertThat(nodeTwo.isValid(5)).as("the locking session after the crash").isFalse();
        for (CompletableFuture<Rest.Response> submission : lost) {
          Optional<Integer> status = Optional.empty();
          try {
            status = Optional.of(submission.get(WAIT.toSeconds(), TimeUnit.SECONDS).status());
          } catch (java.util.concurrent.ExecutionException brokenConnection) {
            // the server died under the request: no answer, as expected
          }
          assertThat(status).as("a submission of the killed batch was never answered 200").isNotEqualTo(Optional.of(200));
        }
        server.start();
        for (User creator : queued) {
          assertThat(query("SELECT count(*)::text FROM jobs WHERE user_id = CAST(? AS uuid)", creator.id().toString()))
              .as("jobs of %s after the restart", creator.email()).containsExactly(List.of("0"));
          assertThat(query("SELECT count(*)::text FROM credit_holds h JOIN credit_accounts a ON a.id = h.account_id"
              + " WHERE a.owner_id = CAST(? AS uuid)", creator.id().toString())).as("holds").containsExactly(List.of("0"));
          assertThat(query("SELECT balance::text, held::text FROM credit_accounts WHERE owner_id = CAST(? AS uuid)"
              + " AND kind = 'USER'", creator.id().toString())).containsExactly(List.of("1000000", "0"));
        }
        assertThat(query("SELECT status FROM jobs WHERE id = CAST(? AS uuid)", firstJob.get()))
            .as("the batch committed before").hasSize(1);
        assertConsistent();
      } finally {
        ManagedProcess.signal(agentOne.pid(), "CONT");
        ManagedProcess.signal(agentTwo.pid(), "CONT");
      }
    }

    // the creators submit again (a client whose call failed retries it), and every job completes
    agentOne.awaitRelayConnected(true, WAIT);
    agentTwo.awaitRelayConnected(true, WAIT);
    List<String> jobs = new java.util.ArrayList<>(List.of(firstJob.get()));
    for (User creator : queued) {
      jobs.add(client.submit(creator, Map.of("job_type", TYPE_TWO, "payload", Map.of("n", 2))).path("job_id").asText());
    }
    client.awaitCompleted(first, jobs.get(0));
    for (int i = 0; i < queued.size(); i++) {
      client.awaitCompleted(queued.get(i), jobs.get(i + 1));
      client.awaitBalance(queued.get(i), "99.0000");
    }
    client.awaitBalance(first, "99.0000");
    Await.until("every hold captured", WAIT, () -> query("SELECT count(*)::text FROM credit_holds WHERE status = 'ACTIVE'")
        .equals(List.of(List.of("0"))) ? Optional.of(true) : Optional.empty(), () -> "holds still ACTIVE");
    assertConsistent();
  }

  /** The ledger's invariants, and each node's slot count against the tasks it holds. */
  private void assertConsistent() throws SQLException {
    assertThat(new DevDatabase(server.jdbcUrl()).ledgerViolations()).isEmpty();
    assertThat(query("SELECT n.id::text, n.active_jobs, (SELECT count(*) FROM job_tasks t"
        + " WHERE t.node_id = n.id AND t.status IN ('DISPATCHED', 'RUNNING')) FROM nodes n"))
        .as("nodes: id, active_jobs, tasks held").hasSize(2).allSatisfy(node -> assertThat(node.get(1))
            .as("active_jobs of %s", node).isEqualTo(node.get(2)));
  }

  /**
   * The transaction id (or, before it wrote anything, the pid) of the one backend waiting for a row
   * lock in a statement containing {@code statement}, other than {@code previous}.
   */
  private String awaitBatchWaiting(String statement, String previous) {
    AtomicReference<List<List<String>>> waiting = new AtomicReference<>();
    return Await.until("a submission batch waiting in " + statement, WAIT, () -> {
      List<List<String>> backends = query("SELECT coalesce(backend_xid::text, 'pid ' || pid) FROM pg_stat_activity"
          + " WHERE wait_event_type = 'Lock' AND query LIKE ? AND pid <> pg_backend_pid()", "%" + statement + "%");
      waiting.set(backends);
      return backends.size() == 1 && !backends.get(0).get(0).equals(previous)
          ? Optional.of(backends.get(0).get(0)) : Optional.empty();
    }, () -> String.valueOf(waiting.get()));
  }

  /** An open transaction holding the row locks {@code sql} takes, until it ends. */
  private Connection lock(String sql, String id) throws SQLException {
    Connection connection = DriverManager.getConnection(server.jdbcUrl());
    connection.setAutoCommit(false);
    try (PreparedStatement lock = connection.prepareStatement(sql)) {
      lock.setString(1, id);
      lock.executeQuery().close();
    }
    return connection;
  }

  private List<List<String>> query(String sql, Object... parameters) {
    try {
      return new DevDatabase(server.jdbcUrl()).rows(sql, parameters);
    } catch (SQLException e) {
      throw new AssertionError(sql, e);
    }
  }
}
