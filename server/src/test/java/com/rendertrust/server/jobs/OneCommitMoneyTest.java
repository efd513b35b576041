package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job's money moves in the same commit as its state: the hold with the submission (a refused
 * hold leaves no job, hold or claimed slot), the capture or release with the node's result. Many
 * submissions and results racing on shared nodes and accounts still settle every job exactly once.
 */
class OneCommitMoneyTest {

  private static final long PRICE = 10_000; // the fallback price of job types without their own
  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;
  private static JobLedger ledger;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConservedAndSlotsMatchTheJobsHeld() {
    ledger.checkInvariants();
    JobsTesting.assertSlotsMatchJobs(server);
  }

  @Test
  void aCompletedJobIsCapturedInTheCommitThatCompletesIt() {
    String type = newType();
    UUID operator = UUID.randomUUID();
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "node-" + type, List.of(type), userBearer(server, operator));
    node.prove(server.channel());
    node.connect(server.channel(), 1).welcome();
    UUID creator = funded(1_000_000);
    long revenueBefore = ledger.platformRevenue();

    DispatchOutcome outcome = submit(creator, type);
    assertThat(outcome.status()).isEqualTo(JobStatus.DISPATCHED);
    assertThat(ledger.holdStatus(outcome.jobId())).isEqualTo(HoldStatus.ACTIVE);
    assertThat(settlement(outcome.jobId())).isEqualTo("HELD");

    finish(outcome.jobId(), true);
    Record3<String, String, UUID> row = jobRow(outcome.jobId());
    assertThat(row.value1()).isEqualTo("COMPLETED");
    assertThat(row.value2()).as("settled by the same commit, no sweep").isEqualTo("CAPTURED");
    assertThat(ledger.holdStatus(outcome.jobId())).isEqualTo(HoldStatus.CAPTURED);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - PRICE);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000 - PRICE);
    assertThat(ledger.earnings(operator)).isEqualTo(PRICE * 70 / 100);
    assertThat(ledger.platformRevenue() - revenueBefore).isEqualTo(PRICE - PRICE * 70 / 100);
    assertThat(finish(outcome.jobId(), true)).as("a repeated result").isEqualTo(ReportOutcome.DUPLICATE);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - PRICE);
  }

  @Test
  void aFailedJobIsReleasedInTheCommitThatFailsIt() {
    String type = newType();
    readyNode(type, 1);
    UUID creator = funded(1_000_000);
    DispatchOutcome outcome = submit(creator, type);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000 - PRICE);

    assertThat(finish(outcome.jobId(), false)).isEqualTo(ReportOutcome.APPLIED);
    Record3<String, String, UUID> row = jobRow(outcome.jobId());
    assertThat(row.value1()).isEqualTo("FAILED");
    assertThat(row.value2()).isEqualTo("RELEASED");
    assertThat(ledger.holdStatus(outcome.jobId())).isEqualTo(HoldStatus.RELEASED);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000);
  }

  @Test
  void aRefusedHoldLeavesNoJobNoHoldAndNoClaimedSlot() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID poor = funded(PRICE - 1);
    int jobs = dsl().fetchCount(JOBS);
    int holds = ledger.holdCount();

    assertThatThrownBy(() -> submit(poor, type))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS));
    assertThat(dsl().fetchCount(JOBS)).isEqualTo(jobs);
    assertThat(ledger.holdCount()).isEqualTo(holds);
    assertThat(activeJobs(node)).isZero();
    assertThat(ledger.available(poor)).isEqualTo(PRICE - 1);

    // the one slot is still free for the next paying submission
    DispatchOutcome paid = submit(funded(PRICE), type);
    assertThat(paid.status()).isEqualTo(JobStatus.DISPATCHED);
    assertThat(paid.nodeId()).contains(node.node().id());
    finish(paid.jobId(), true);
  }

  @Test
  void aDatabaseFailureAfterTheHoldRollsBackTheWholeSubmission() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID creator = funded(1_000_000);
    int jobs = dsl().fetchCount(JOBS);
    int holds = ledger.holdCount();
    // the last write of a dispatched submission fails, after its hold and its slot claim
    dsl().execute("CREATE FUNCTION test_refuse_assignment() RETURNS trigger LANGUAGE plpgsql AS $$ "
        + "BEGIN RAISE EXCEPTION 'injected assignment failure'; END $$");
    dsl().execute("CREATE TRIGGER test_refuse_assignment BEFORE INSERT ON job_assignments FOR EACH ROW "
        + "EXECUTE FUNCTION test_refuse_assignment()");
    try {
      assertThatThrownBy(() -> submit(creator, type)).hasMessageContaining("injected assignment failure");
    } finally {
      dsl().execute("DROP TRIGGER test_refuse_assignment ON job_assignments");
      dsl().execute("DROP FUNCTION test_refuse_assignment()");
    }
    assertThat(dsl().fetchCount(JOBS)).isEqualTo(jobs);
    assertThat(ledger.holdCount()).isEqualTo(holds);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000);
    assertThat(activeJobs(node)).isZero();
  }

  @Test
  void racingSubmissionsAndResultsOnSharedNodesAndAccountsSettleEveryJobOnce() throws Exception {
    String type = newType();
    readyNode(type, 3);
    readyNode(type, 3);
    List<UUID> creators = List.of(funded(10_000_000), funded(10_000_000), funded(10_000_000));
    int workers = 6;
    int perWorker = 20;
    List<UUID> submitted = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        UUID creator = creators.get(w % creators.size());
        running.add(pool.submit(() -> {
          for (int i = 0; i < perWorker; i++) {
            DispatchOutcome outcome = submit(creator, type);
            submitted.add(outcome.jobId());
            finishSomeActiveJob(type);
          }
          return null;
        }));
      }
      for (Future<?> worker : running) {
        worker.get();
      }
    } finally {
      pool.shutdownNow();
    }
    // what is still queued or running finishes as slots free up
    JobScheduler scheduler = JobsTesting.network(server).scheduler();
    // the sweeper's queue pass may hold a queued job's row while a round looks: wait, do not stop
    for (int round = 0; round < 1_000 && unfinished(type) > 0; round++) {
      boolean moved = finishSomeActiveJob(type) | scheduler.assignQueued() > 0;
      if (!moved) {
        Thread.sleep(10);
      }
    }

    assertThat(submitted).hasSize(workers * perWorker).doesNotHaveDuplicates();
    for (UUID jobId : submitted) {
      Record3<String, String, UUID> row = jobRow(jobId);
      assertThat(row.value1()).as("job " + jobId).isEqualTo("COMPLETED");
      assertThat(row.value2()).as("job " + jobId).isEqualTo("CAPTURED");
      assertThat(ledger.holdStatus(jobId)).isEqualTo(HoldStatus.CAPTURED);
    }
    long spent = creators.stream().mapToLong(c -> 10_000_000 - ledger.balance(c)).sum();
    assertThat(spent).isEqualTo(workers * perWorker * PRICE);
    creators.forEach(c -> assertThat(ledger.available(c)).isEqualTo(ledger.balance(c)));
  }

  /** Jobs of {@code type} not yet ended: queued, dispatched or running. */
  private static int unfinished(String type) {
    return dsl().fetchCount(JOBS, JOBS.JOB_TYPE.eq(type).and(JOBS.STATUS.in("QUEUED", "DISPATCHED", "RUNNING")));
  }

  /** Completes the oldest DISPATCHED or RUNNING job of {@code type}, as its node would; false when none. */
  private static boolean finishSomeActiveJob(String type) {
    Optional<UUID> active = dsl().select(JOBS.ID).from(JOBS)
        .where(JOBS.JOB_TYPE.eq(type).and(JOBS.STATUS.in("DISPATCHED", "RUNNING")))
        .orderBy(JOBS.DISPATCHED_AT, JOBS.ID).limit(1)
        .fetchOptional(JOBS.ID);
    active.ifPresent(jobId -> finish(jobId, true));
    return active.isPresent();
  }

  private static ReportOutcome finish(UUID jobId, boolean completed) {
    var job = dsl().selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle();
    if (job.getNodeId() == null || job.getAssignmentId() == null) {
      return ReportOutcome.STALE;
    }
    JobLifecycle lifecycle = JobsTesting.network(server).lifecycle();
    if ("DISPATCHED".equals(job.getStatus())) {
      lifecycle.accepted(job.getNodeId(), jobId, job.getAssignmentId());
    }
    return lifecycle.finished(job.getNodeId(), jobId, job.getAssignmentId(), completed,
        completed ? null : "the input cannot be read", completed ? "" : "INVALID_INPUT"); // fails at once
  }

  private static DispatchOutcome submit(UUID creator, String type) {
    return JobsTesting.network(server).jobs().submit(creator,
        new JobSubmission(type, Optional.empty(), Optional.empty(), "normal", false, Optional.empty()));
  }

  private static Record3<String, String, UUID> jobRow(UUID jobId) {
    return dsl().select(JOBS.STATUS, JOBS.SETTLEMENT, JOBS.NODE_ID).from(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle();
  }

  private static String settlement(UUID jobId) {
    return jobRow(jobId).value2();
  }

  private static int activeJobs(TestNode.Stream node) {
    return dsl().select(NODES.ACTIVE_JOBS).from(NODES).where(NODES.ID.eq(node.node().id())).fetchSingle(NODES.ACTIVE_JOBS);
  }

  private static TestNode.Stream readyNode(String type, int slots) {
    TestNode node = TestNode.ready(server.channel(), "node-" + type, List.of(type));
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
    return "money-" + types.incrementAndGet();
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
