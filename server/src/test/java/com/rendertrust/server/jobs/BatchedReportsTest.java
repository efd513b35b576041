package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_EVENTS;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group commit of COMPLETED results ({@link CompletionBatch}) and of task starts ({@link
 * StartBatch}): reports that arrive while a batch is being written are written together, in one
 * transaction, and each is answered (and settled) exactly as the one-job path would. To make the
 * batches deterministic, a test transaction holds the first job's row: the first report's batch
 * waits for it, and every report sent meanwhile queues for the next batch.
 */
class BatchedReportsTest {

  private static final long PRICE = 10_000; // the fallback price of job types without their own
  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;
  private static JobLedger ledger;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  private final ExecutorService reporters = Executors.newCachedThreadPool();

  @AfterEach
  void moneyIsConservedAndSlotsMatchTheJobsHeld() {
    reporters.shutdownNow();
    ledger.checkInvariants();
    JobsTesting.assertSlotsMatchJobs(server);
  }

  @Test
  void resultsArrivingTogetherAreOneBatchAndEachJobIsCompletedAndPaidOnce() throws Exception {
    String type = newType();
    UUID firstOperator = UUID.randomUUID();
    UUID secondOperator = UUID.randomUUID();
    readyNode(type, 6, firstOperator);
    readyNode(type, 6, secondOperator);
    List<UUID> creators = List.of(funded(1_000_000), funded(1_000_000), funded(1_000_000));
    List<JobsRecord> jobs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      jobs.add(running(submit(creators.get(i % 3), type)));
    }
    long revenueBefore = ledger.platformRevenue();
    JobsRecord reported = jobs.get(5);
    lifecycle().progress(reported.getNodeId(), reported.getId(), reported.getAssignmentId(), 60, 0, "most of it");
    GroupCommit.Written before = lifecycle().batchedCompletions();

    List<ReportOutcome> outcomes = finishTogether(jobs.stream().map(Result::of).toList());

    assertThat(outcomes).containsOnly(ReportOutcome.APPLIED).hasSize(12);
    GroupCommit.Written after = lifecycle().batchedCompletions();
    assertThat(after.items() - before.items()).isEqualTo(12);
    // the held first result alone, then the eleven sent while it waited (one more if one was late)
    assertThat(after.batches() - before.batches()).isBetween(2L, 3L);
    for (JobsRecord job : jobs) {
      JobsRecord now = job(job.getId());
      assertThat(now.getStatus()).as("job " + job.getId()).isEqualTo("COMPLETED");
      assertThat(now.getSettlement()).isEqualTo("CAPTURED");
      assertThat(now.getCharged()).isEqualTo(PRICE);
      assertThat(now.getResultRef()).isEqualTo(ResultStore.resultKey(job.getId(), job.getAssignmentId()));
      assertThat(ledger.holdStatus(job.getId())).isEqualTo(HoldStatus.CAPTURED);
      assertThat(eventTypes(job.getId())).as("events of job " + job.getId()).endsWith(
          job == reported ? new String[] {"task.started", "task.progress", "task.completed", "job.completed"}
              : new String[] {"task.started", "task.completed", "job.completed"});
    }
    creators.forEach(creator -> assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 4 * PRICE));
    creators.forEach(creator -> assertThat(ledger.available(creator)).isEqualTo(1_000_000 - 4 * PRICE));
    long perJob = PRICE * 70 / 100;
    assertThat(ledger.earnings(firstOperator) + ledger.earnings(secondOperator)).isEqualTo(12 * perJob);
    assertThat(ledger.earnings(firstOperator) % perJob).isZero();
    assertThat(ledger.platformRevenue() - revenueBefore).isEqualTo(12 * (PRICE - perJob));
  }

  @Test
  void aBatchedResultWhoseHoldIsNoLongerActiveCompletesTheJobAndRecordsWhatWasCharged() {
    String type = newType();
    readyNode(type, 2, UUID.randomUUID());
    UUID creator = funded(1_000_000);
    JobsRecord released = running(submit(creator, type));
    JobsRecord held = running(submit(creator, type));
    new JobHolds(dsl(), 70).release(released.getId()); // the job's row still says HELD
    GroupCommit.Written before = lifecycle().batchedCompletions();

    assertThat(Result.of(released).report()).isEqualTo(ReportOutcome.APPLIED);
    assertThat(Result.of(held).report()).isEqualTo(ReportOutcome.APPLIED);

    assertThat(lifecycle().batchedCompletions().items() - before.items()).as("both took the batch").isEqualTo(2);
    JobsRecord releasedNow = job(released.getId());
    assertThat(releasedNow.getStatus()).isEqualTo("COMPLETED");
    assertThat(releasedNow.getSettlement()).isEqualTo("CAPTURED");
    assertThat(releasedNow.getCharged()).as("nothing was left to capture").isZero();
    assertThat(ledger.holdStatus(released.getId())).isEqualTo(HoldStatus.RELEASED);
    JobsRecord heldNow = job(held.getId());
    assertThat(heldNow.getSettlement()).isEqualTo("CAPTURED");
    assertThat(heldNow.getCharged()).isEqualTo(PRICE);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - PRICE);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000 - PRICE);
  }

  @Test
  void aStaleOrRepeatedResultInABatchChangesNothingAndTheOthersComplete() throws Exception {
    String type = newType();
    TestNode.Stream node = readyNode(type, 4, UUID.randomUUID());
    TestNode.Stream other = readyNode(type + "-other", 1, UUID.randomUUID());
    UUID creator = funded(1_000_000);
    JobsRecord first = running(submit(creator, type));
    JobsRecord second = running(submit(creator, type));
    JobsRecord third = running(submit(creator, type));
    assertThat(third.getNodeId()).isEqualTo(node.node().id());

    List<ReportOutcome> outcomes = finishTogether(List.of(Result.of(first), Result.of(second), Result.of(second),
        new Result(other.node().id(), third.getId(), third.getAssignmentId())));

    assertThat(outcomes.getFirst()).isEqualTo(ReportOutcome.APPLIED);
    // the two copies of the second result are sent from two threads at once: either may be queued first
    assertThat(outcomes.subList(1, 3)).containsExactlyInAnyOrder(ReportOutcome.APPLIED, ReportOutcome.DUPLICATE);
    assertThat(outcomes.getLast()).isEqualTo(ReportOutcome.STALE);
    assertThat(job(first.getId()).getStatus()).isEqualTo("COMPLETED");
    assertThat(job(second.getId()).getStatus()).isEqualTo("COMPLETED");
    assertThat(job(third.getId()).getStatus()).as("reported by a node that does not hold it").isEqualTo("RUNNING");
    assertThat(ledger.holdStatus(third.getId())).isEqualTo(HoldStatus.ACTIVE);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 2 * PRICE);
    assertThat(Result.of(third).report()).isEqualTo(ReportOutcome.APPLIED);
    assertThat(ledger.holdStatus(third.getId())).isEqualTo(HoldStatus.CAPTURED);
  }

  @Test
  void aBatchWhoseTransactionFailsLeavesNothingAndEachResultTakesTheOneJobPath() throws Exception {
    String type = newType();
    readyNode(type, 4, UUID.randomUUID());
    UUID creator = funded(1_000_000);
    List<JobsRecord> jobs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      jobs.add(running(submit(creator, type)));
    }
    GroupCommit.Written before = lifecycle().batchedCompletions();
    // any statement ending more than one assignment at once fails: only a batch of several does
    dsl().execute("CREATE FUNCTION test_refuse_batches() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF (SELECT count(*) FROM ended) > 1 THEN RAISE EXCEPTION 'injected batch failure'; END IF; "
        + "RETURN NULL; END $$");
    dsl().execute("CREATE TRIGGER test_refuse_batches AFTER UPDATE ON job_assignments REFERENCING NEW TABLE AS ended "
        + "FOR EACH STATEMENT EXECUTE FUNCTION test_refuse_batches()");
    List<ReportOutcome> outcomes;
    try {
      outcomes = finishTogether(jobs.stream().map(Result::of).toList());
    } finally {
      dsl().execute("DROP TRIGGER test_refuse_batches ON job_assignments");
      dsl().execute("DROP FUNCTION test_refuse_batches()");
    }

    assertThat(outcomes).containsOnly(ReportOutcome.APPLIED).hasSize(4);
    GroupCommit.Written after = lifecycle().batchedCompletions();
    assertThat(after.items() - before.items()).as("only the held first result's batch of one committed")
        .isEqualTo(1);
    for (JobsRecord job : jobs) {
      assertThat(job(job.getId()).getSettlement()).isEqualTo("CAPTURED");
      assertThat(ledger.holdStatus(job.getId())).isEqualTo(HoldStatus.CAPTURED);
      assertThat(eventTypes(job.getId())).containsOnlyOnce("task.completed", "job.completed");
    }
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 4 * PRICE);
  }

  @Test
  void startsReportedTogetherAreOneBatchAndARepeatOrAStaleStartChangesNothing() throws Exception {
    String type = newType();
    TestNode.Stream node = readyNode(type, 6, UUID.randomUUID());
    TestNode.Stream other = readyNode(type + "-other", 1, UUID.randomUUID());
    UUID creator = funded(1_000_000);
    List<JobsRecord> jobs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      DispatchOutcome outcome = submit(creator, type);
      assertThat(outcome.nodeId()).contains(node.node().id());
      jobs.add(job(outcome.jobId()));
    }
    GroupCommit.Written before = lifecycle().batchedStarts();
    List<Result> starts = new ArrayList<>(jobs.stream().map(Result::of).toList());
    starts.add(Result.of(jobs.get(1)));
    JobsRecord last = jobs.getLast();
    starts.add(new Result(other.node().id(), last.getId(), last.getAssignmentId()));

    List<ReportOutcome> outcomes = together(starts, Result::start);

    assertThat(outcomes).containsExactly(ReportOutcome.APPLIED, ReportOutcome.APPLIED, ReportOutcome.APPLIED,
        ReportOutcome.APPLIED, ReportOutcome.APPLIED, ReportOutcome.DUPLICATE, ReportOutcome.STALE);
    GroupCommit.Written after = lifecycle().batchedStarts();
    assertThat(after.items() - before.items()).isEqualTo(5);
    assertThat(after.batches() - before.batches()).as("the held first start alone, then the rest").isBetween(2L, 3L);
    for (JobsRecord job : jobs) {
      JobsRecord now = job(job.getId());
      assertThat(now.getStatus()).isEqualTo("RUNNING");
      assertThat(now.getStartedAt()).isNotNull();
      assertThat(eventTypes(job.getId())).containsOnlyOnce("task.started").endsWith("task.started");
      assertThat(Result.of(job).report()).isEqualTo(ReportOutcome.APPLIED);
    }
  }

  @Test
  void aStaleStartAheadOfTheNodesOwnInOneBatchIsStaleAndTheNodesStartApplies() throws Exception {
    String type = newType();
    TestNode.Stream node = readyNode(type, 2, UUID.randomUUID());
    TestNode.Stream other = readyNode(type + "-other", 1, UUID.randomUUID());
    UUID creator = funded(1_000_000);
    JobsRecord first = job(submit(creator, type).jobId());
    JobsRecord second = job(submit(creator, type).jobId());
    assertThat(List.of(first.getNodeId(), second.getNodeId())).containsOnly(node.node().id());

    List<ReportOutcome> outcomes = together(List.of(Result.of(first),
        new Result(other.node().id(), second.getId(), second.getAssignmentId()), Result.of(second)),
        Result::start, Duration.ofMillis(200));

    assertThat(outcomes).containsExactly(ReportOutcome.APPLIED, ReportOutcome.STALE, ReportOutcome.APPLIED);
    assertThat(dsl().select(JOB_EVENTS.NODE_ID).from(JOB_EVENTS).where(JOB_EVENTS.JOB_ID.eq(second.getId())
        .and(JOB_EVENTS.TYPE.eq("task.started"))).fetch(JOB_EVENTS.NODE_ID)).containsExactly(node.node().id());
  }

  private List<ReportOutcome> finishTogether(List<Result> results) throws Exception {
    return together(results, Result::report);
  }

  private List<ReportOutcome> together(List<Result> results, Function<Result, ReportOutcome> send) throws Exception {
    return together(results, send, Duration.ZERO);
  }

  /**
   * Sends every report (as its node would, from its own thread) while a test transaction holds
   * the first job's row: the first report's batch waits for that lock, and the others are sent
   * meanwhile, {@code apart} from each other (so that they queue in their order); then the lock is
   * let go. Returns each report's outcome, in order.
   */
  private List<ReportOutcome> together(List<Result> results, Function<Result, ReportOutcome> send, Duration apart)
      throws Exception {
    CountDownLatch locked = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> dsl().transaction(cfg -> {
      cfg.dsl().select(JOBS.ID).from(JOBS).where(JOBS.ID.eq(results.getFirst().jobId())).forUpdate().fetch();
      locked.countDown();
      letGo.await();
    }), reporters);
    assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<ReportOutcome>> outcomes = new ArrayList<>();
    outcomes.add(CompletableFuture.supplyAsync(() -> send.apply(results.getFirst()), reporters));
    awaitLockWait();
    for (Result result : results.subList(1, results.size())) {
      outcomes.add(CompletableFuture.supplyAsync(() -> send.apply(result), reporters));
      Thread.sleep(apart.toMillis());
    }
    Thread.sleep(500); // the other results queue behind the waiting batch
    letGo.countDown();
    holder.get(10, TimeUnit.SECONDS);
    List<ReportOutcome> answered = new ArrayList<>();
    for (CompletableFuture<ReportOutcome> outcome : outcomes) {
      answered.add(outcome.get(30, TimeUnit.SECONDS));
    }
    return answered;
  }

  /** Until a backend of the server waits for a row lock (the first batch of results or starts, behind the test's transaction). */
  private static void awaitLockWait() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (dsl().fetchCount(dsl().selectOne().from("pg_stat_activity")
        .where("wait_event_type = 'Lock' AND (query LIKE '%reported.job_id%' OR query LIKE '%job_tasks_start_all%')"))
        == 0) {
      assertThat(System.nanoTime()).as("the first batch waiting for the held job row").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** A node's report (its start or COMPLETED result) of the job's task under {@code assignmentId}. */
  private record Result(UUID nodeId, UUID jobId, UUID assignmentId) {

    static Result of(JobsRecord job) {
      return new Result(job.getNodeId(), job.getId(), job.getAssignmentId());
    }

    ReportOutcome report() {
      return lifecycle().finished(nodeId, jobId, assignmentId, true, null, "");
    }

    ReportOutcome start() {
      return lifecycle().accepted(nodeId, jobId, assignmentId);
    }
  }

  /** The dispatched job, started by its node: its row as it is then. */
  private static JobsRecord running(DispatchOutcome outcome) {
    assertThat(outcome.status()).isEqualTo(JobStatus.DISPATCHED);
    JobsRecord job = job(outcome.jobId());
    assertThat(lifecycle().accepted(job.getNodeId(), job.getId(), job.getAssignmentId()))
        .isEqualTo(ReportOutcome.APPLIED);
    return job(outcome.jobId());
  }

  private static List<String> eventTypes(UUID jobId) {
    return dsl().select(JOB_EVENTS.TYPE).from(JOB_EVENTS).where(JOB_EVENTS.JOB_ID.eq(jobId))
        .orderBy(JOB_EVENTS.SEQ).fetch(JOB_EVENTS.TYPE);
  }

  private static DispatchOutcome submit(UUID creator, String type) {
    return JobsTesting.network(server).jobs().submit(creator,
        new JobSubmission(type, Optional.empty(), Optional.empty(), "normal", false, Optional.empty()));
  }

  private static JobsRecord job(UUID jobId) {
    return dsl().selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle();
  }

  private static JobLifecycle lifecycle() {
    return JobsTesting.network(server).lifecycle();
  }

  private static TestNode.Stream readyNode(String type, int slots, UUID operator) {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "node-" + type + "-" + operator, List.of(type), userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), slots);
    stream.welcome();
    return stream;
  }

  private static UUID funded(long amount) {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, amount);
    return user;
  }

  private static String newType() {
    return "batch-" + types.incrementAndGet();
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
