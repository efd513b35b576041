package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.JOB_EVENTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.db.tables.records.JobTasksRecord;
import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group commit of submissions ({@link SubmissionBatch}): many creators' submissions written in one
 * transaction answer exactly as one by one would: each user's credits hold what fits and refuse the
 * rest with 402, free slots go to the first jobs and the rest queue, a repeated idempotency key
 * answers the first job, a type no node offers answers 400, and the rows, holds, slots and events
 * are the ones a single submission writes.
 */
class SubmissionBatchTest {

  private static final long PRICE = 10_000; // the fallback price of job types without their own
  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;
  private static JobLedger ledger;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void moneyIsConservedAndSlotsMatchTheJobsHeld() {
    threads.shutdownNow();
    ledger.checkInvariants();
    JobsTesting.assertSlotsMatchJobs(server);
  }

  @Test
  void oneBatchHoldsWhatEachUserCanPayDispatchesWhatFitsAndQueuesTheRest() throws Exception {
    String type = newType();
    TestNode.Stream node = readyNode(type, 3);
    UUID twoJobs = funded(2 * PRICE);
    List<UUID> oneJobEach = List.of(funded(PRICE), funded(PRICE), funded(PRICE), funded(PRICE));
    List<Callable<Object>> submissions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      submissions.add(() -> outcomeOf(twoJobs, type, Optional.empty()));
    }
    oneJobEach.forEach(user -> submissions.add(() -> outcomeOf(user, type, Optional.empty())));
    GroupCommit.Written before = jobs().batchedSubmissions();

    List<Object> answers = whileOneBatchWaits(submissions);

    assertThat(batchedTogether(before)).as("submissions that shared a batch").isPositive();
    assertThat(answers.subList(0, 3)).as("two of three fit the user's credits")
        .filteredOn(answer -> answer == Reason.INSUFFICIENT_CREDITS).hasSize(1);
    List<DispatchOutcome> accepted = answers.stream().filter(DispatchOutcome.class::isInstance)
        .map(DispatchOutcome.class::cast).toList();
    assertThat(accepted).hasSize(6).extracting(DispatchOutcome::status)
        .containsOnly(JobStatus.DISPATCHED, JobStatus.QUEUED);
    assertThat(accepted).filteredOn(outcome -> outcome.status() == JobStatus.DISPATCHED).hasSize(3)
        .allSatisfy(outcome -> assertThat(outcome.nodeId()).contains(node.node().id()));
    assertThat(ledger.available(twoJobs)).isZero();
    assertThat(ledger.balance(twoJobs)).isEqualTo(2 * PRICE);
    oneJobEach.forEach(user -> assertThat(ledger.available(user)).isZero());
    for (DispatchOutcome outcome : accepted) {
      assertWrittenLikeOneSubmission(outcome, type);
    }
  }

  @Test
  void aBatchGivesItsSlotsToItsHighestPriorityFirstWhateverItsOrder() throws Exception {
    String type = newType();
    TestNode.Stream node = readyNode(type, 2);
    List<UUID> creators = List.of(funded(PRICE), funded(PRICE), funded(PRICE), funded(PRICE));
    List<String> priorities = List.of("low", "normal", "high", "high");
    List<Callable<Object>> submissions = new ArrayList<>();
    for (int i = 0; i < creators.size(); i++) {
      UUID creator = creators.get(i);
      String priority = priorities.get(i);
      submissions.add(() -> jobs().submit(creator, new JobSubmission(type, Optional.empty(), Optional.empty(),
          priority, false, Optional.empty())));
    }
    GroupCommit.Written before = jobs().batchedSubmissions();

    List<Object> answers = whileOneBatchWaits(submissions);

    assertThat(batchedTogether(before)).as("submissions that shared a batch").isEqualTo(creators.size() - 1);
    assertThat(answers).extracting(answer -> ((DispatchOutcome) answer).status())
        .containsExactly(JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.DISPATCHED, JobStatus.DISPATCHED);
    assertThat(answers.subList(2, 4)).allSatisfy(answer ->
        assertThat(((DispatchOutcome) answer).nodeId()).contains(node.node().id()));
  }

  @Test
  void aRepeatedIdempotencyKeyInOneBatchAnswersTheFirstJob() throws Exception {
    String type = newType();
    readyNode(type, 4);
    UUID creator = funded(10 * PRICE);
    List<Callable<Object>> submissions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      submissions.add(() -> outcomeOf(creator, type, Optional.of("same-key")));
    }
    submissions.add(() -> outcomeOf(creator, type, Optional.empty()));

    List<Object> answers = whileOneBatchWaits(submissions);

    assertThat(answers.subList(0, 3)).allSatisfy(answer -> assertThat(answer).isInstanceOf(DispatchOutcome.class));
    assertThat(answers.subList(0, 3).stream().map(answer -> ((DispatchOutcome) answer).jobId()).distinct())
        .as("one job for the key").hasSize(1);
    assertThat(dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator))).isEqualTo(2);
    assertThat(ledger.available(creator)).isEqualTo(8 * PRICE);
  }

  @Test
  void aTypeNoNodeOffersIsRefusedWith400AndTheRestOfItsBatchIsWritten() throws Exception {
    String type = newType();
    readyNode(type, 2);
    String offeredByNobody = newType();
    UUID creator = funded(10 * PRICE);
    int jobsBefore = dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator));

    List<Object> answers = whileOneBatchWaits(List.of(
        () -> outcomeOf(creator, type, Optional.empty()),
        () -> outcomeOf(creator, offeredByNobody, Optional.empty()),
        () -> outcomeOf(creator, type, Optional.empty())));

    assertThat(answers.get(1)).isEqualTo(Reason.NO_HEALTHY_NODE);
    assertThat(answers.get(0)).isInstanceOf(DispatchOutcome.class);
    assertThat(answers.get(2)).isInstanceOf(DispatchOutcome.class);
    assertThat(dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator))).isEqualTo(jobsBefore + 2);
    assertThat(dsl().fetchCount(JOBS, JOBS.JOB_TYPE.eq(offeredByNobody))).isZero();
    assertThat(ledger.available(creator)).isEqualTo(8 * PRICE);
    for (Object answer : List.of(answers.get(0), answers.get(2))) {
      assertWrittenLikeOneSubmission((DispatchOutcome) answer, type);
    }
  }

  @Test
  void aBatchedJobRunsToItsCaptureLikeAnyOther() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID creator = funded(PRICE);
    GroupCommit.Written before = jobs().batchedSubmissions();

    DispatchOutcome outcome = (DispatchOutcome) outcomeOf(creator, type, Optional.empty());

    assertThat(jobs().batchedSubmissions().items() - before.items()).as("a lone submission is a batch of one")
        .isEqualTo(1);
    assertThat(node.dispatch().getJobId()).isEqualTo(outcome.jobId().toString());
    JobsRecord job = job(outcome.jobId());
    JobLifecycle lifecycle = JobsTesting.network(server).lifecycle();
    lifecycle.accepted(job.getNodeId(), job.getId(), job.getAssignmentId());
    assertThat(lifecycle.finished(job.getNodeId(), job.getId(), job.getAssignmentId(), true, null, ""))
        .isEqualTo(ReportOutcome.APPLIED);
    assertThat(job(outcome.jobId()).getStatus()).isEqualTo("COMPLETED");
    assertThat(ledger.holdStatus(outcome.jobId())).isEqualTo(HoldStatus.CAPTURED);
    assertThat(ledger.balance(creator)).isZero();
  }

  @Test
  void aBatchedDispatchIsDeliveredUnreadExactlyAsTheStoredTaskIsSentAgain() {
    String type = newType();
    TestNode.Stream first = readyNode(type, 1);
    UUID creator = funded(PRICE);
    // key order, spacing and number spellings that PostgreSQL's jsonb normalises differently
    String payload = "{\"z\": [1, 2.50, 1e2], \"a\": {\"name\": \"sc\u00e8ne\", \"on\": true, \"none\": null}}";
    GroupCommit.Written before = jobs().batchedSubmissions();

    DispatchOutcome outcome = jobs().submit(creator, new JobSubmission(type, Optional.of("scenes/s.blend"),
        Optional.of(payload), "high", false, Optional.empty()));
    JobDispatch unread = first.dispatch(); // from the batch's own record of what it committed

    assertThat(jobs().batchedSubmissions().since(before).items()).isEqualTo(1);
    assertThat(unread.getJobId()).isEqualTo(outcome.jobId().toString());
    first.abort();
    JobsTesting.eventually("stream gone", () -> dsl().fetchOne(
        "SELECT stream_session FROM nodes WHERE id = ?", first.node().id()).get(0) == null);
    TestNode.Stream second = first.node().connect(server.channel(), 1);
    second.welcome();
    JobDispatch read = second.dispatch(); // a new stream reads the node's DISPATCHED task from the database

    assertThat(withoutSpan(unread)).isEqualTo(withoutSpan(read));
    assertThat(unread.getPayload().getFieldsOrThrow("z").getListValue().getValues(1).getNumberValue()).isEqualTo(2.5);
    second.halfClose();
  }

  /** The dispatch without its span id: each delivery starts its own span (of the same trace). */
  private static JobDispatch withoutSpan(JobDispatch dispatch) {
    String traceparent = dispatch.getTraceparent();
    return dispatch.toBuilder().setTraceparent(traceparent.length() == 55 ? traceparent.substring(0, 35) : traceparent)
        .build();
  }

  @Test
  void aBatchThatLostItsConnectionIsAnswered503AndNotWrittenAgainOneByOne() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1);
    UUID creator = funded(PRICE);
    int jobs = dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator));
    // the batch's last write fails as a terminated session would (SQLSTATE 57P01): a lost
    // connection, after which a transaction may have committed; a sequence counts the attempts
    dsl().execute("CREATE SEQUENCE test_lost_attempts");
    dsl().execute("CREATE FUNCTION test_lose_connection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "PERFORM nextval('test_lost_attempts'); RAISE EXCEPTION 'injected lost connection' USING ERRCODE = '57P01'; "
        + "END $$");
    dsl().execute("CREATE TRIGGER test_lose_connection BEFORE INSERT ON job_assignments FOR EACH ROW "
        + "EXECUTE FUNCTION test_lose_connection()");
    Object answer;
    long attempts;
    try {
      answer = outcomeOf(creator, type, Optional.empty());
      attempts = dsl().fetchOne("SELECT last_value FROM test_lost_attempts").get(0, Long.class);
    } finally {
      dsl().execute("DROP TRIGGER test_lose_connection ON job_assignments");
      dsl().execute("DROP FUNCTION test_lose_connection()");
      dsl().execute("DROP SEQUENCE test_lost_attempts");
    }

    assertThat(answer).isEqualTo(Reason.DEPENDENCY_UNAVAILABLE);
    assertThat(attempts).as("the batch's own attempts (a lost connection before the commit is retried), "
        + "and none on the one-job path").isEqualTo(4);
    assertThat(dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator))).isEqualTo(jobs);
    assertThat(ledger.available(creator)).isEqualTo(PRICE);
    assertThat(dsl().fetchOne("SELECT active_jobs FROM nodes WHERE id = ?", node.node().id()).get(0, Integer.class))
        .isZero();
  }

  /** The job, its task, assignment, hold, slot and events as the one-job path writes them. */
  private static void assertWrittenLikeOneSubmission(DispatchOutcome outcome, String type) {
    JobsRecord job = job(outcome.jobId());
    List<JobTasksRecord> tasks = dsl().selectFrom(JOB_TASKS).where(JOB_TASKS.JOB_ID.eq(job.getId())).fetch();
    assertThat(tasks).hasSize(1);
    JobTasksRecord task = tasks.getFirst();
    assertThat(job.getStatus()).isEqualTo(outcome.status().name()).isEqualTo(job.getFirstStatus())
        .isEqualTo(task.getStatus());
    assertThat(List.of(job.getJobType(), task.getJobType())).containsOnly(type);
    assertThat(List.of(job.getPrice(), job.getRoundPrice())).containsOnly(PRICE);
    assertThat(job.getSettlement()).isEqualTo("HELD");
    assertThat(job.getTasksTotal()).isEqualTo(1);
    assertThat(job.getRoundUnits()).isEqualTo(1);
    assertThat(task.getUserId()).isEqualTo(job.getUserId());
    assertThat(task.getTaskIndex()).isZero();
    assertThat(task.getPriorityRank()).isEqualTo(job.getPriorityRank());
    assertThat(job.getQueuedAt()).isEqualTo(job.getCreatedAt()).isEqualTo(task.getQueuedAt());
    assertThat(ledger.hold(job.getId())).hasValueSatisfying(hold -> {
      assertThat(hold.status()).isEqualTo(HoldStatus.ACTIVE);
      assertThat(hold.amount().units()).isEqualTo(PRICE);
      assertThat(hold.userId()).isEqualTo(job.getUserId());
    });
    Map<String, Long> events = dsl().select(JOB_EVENTS.TYPE).from(JOB_EVENTS).where(JOB_EVENTS.JOB_ID.eq(job.getId()))
        .fetch(JOB_EVENTS.TYPE).stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    if (outcome.status() == JobStatus.DISPATCHED) {
      UUID node = outcome.nodeId().orElseThrow();
      assertThat(List.of(job.getNodeId(), job.getFirstNodeId(), task.getNodeId())).containsOnly(node);
      assertThat(job.getAssignmentId()).isNotNull().isEqualTo(task.getAssignmentId());
      assertThat(dsl().fetchCount(JOB_ASSIGNMENTS, JOB_ASSIGNMENTS.ID.eq(job.getAssignmentId())
          .and(JOB_ASSIGNMENTS.TASK_ID.eq(task.getId())).and(JOB_ASSIGNMENTS.NODE_ID.eq(node)))).isEqualTo(1);
      assertThat(task.getAttempts()).isEqualTo(1);
      assertThat(job.getDispatchedAt()).isEqualTo(task.getDispatchedAt()).isNotNull();
      assertThat(job.getDeadline()).isEqualTo(task.getDeadline()).isAfter(job.getDispatchedAt());
      assertThat(events).isEqualTo(Map.of("job.created", 1L, "task.dispatched", 1L));
    } else {
      assertThat(List.of(Optional.ofNullable(job.getNodeId()), Optional.ofNullable(job.getAssignmentId()),
          Optional.ofNullable(task.getNodeId()), Optional.ofNullable(job.getDeadline()))).containsOnly(Optional.empty());
      assertThat(task.getAttempts()).isZero();
      assertThat(dsl().fetchCount(JOB_ASSIGNMENTS, JOB_ASSIGNMENTS.JOB_ID.eq(job.getId()))).isZero();
      assertThat(events).isEqualTo(Map.of("job.created", 1L));
    }
  }

  /**
   * Runs {@code submissions} at once while a batch is held up (its creator's account locked by
   * another transaction), so they queue for the next batch together; answers each in order.
   */
  private List<Object> whileOneBatchWaits(List<Callable<Object>> submissions) throws Exception {
    String type = newType();
    readyNode(type, 1);
    UUID blocked = funded(PRICE);
    try (Connection lock = server.controlPlane().database().dataSource().getConnection()) {
      lock.setAutoCommit(false);
      try (PreparedStatement statement = lock.prepareStatement(
          "SELECT 1 FROM credit_accounts WHERE owner_id = ? AND kind = 'USER' FOR UPDATE")) {
        statement.setObject(1, blocked);
        statement.executeQuery().close();
      }
      Future<Object> first = threads.submit(() -> outcomeOf(blocked, type, Optional.empty()));
      JobsTesting.eventually("the first batch waits for the locked account", () -> dsl().fetch(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%credit_holds_place_all%'")
          .isNotEmpty());
      List<Future<Object>> running = new ArrayList<>();
      for (Callable<Object> submission : submissions) {
        running.add(threads.submit(submission));
      }
      Thread.sleep(300); // every submission has reached the queue of the next batch
      lock.commit();
      assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(DispatchOutcome.class);
      List<Object> answers = new ArrayList<>();
      for (Future<Object> answer : running) {
        answers.add(answer.get(30, TimeUnit.SECONDS));
      }
      return answers;
    }
  }

  /** The submission's outcome, or the reason it was refused. */
  private static Object outcomeOf(UUID creator, String type, Optional<String> idempotencyKey) {
    try {
      return jobs().submit(creator, new JobSubmission(type, Optional.empty(), Optional.empty(), "normal", false,
          idempotencyKey));
    } catch (DomainException refused) {
      return refused.reason();
    }
  }

  /** Submissions written since {@code before} beyond one per batch: positive when some batch held several. */
  private static long batchedTogether(GroupCommit.Written before) {
    GroupCommit.Written since = jobs().batchedSubmissions().since(before);
    return since.items() - since.batches();
  }

  private static JobsRecord job(UUID jobId) {
    return dsl().selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle();
  }

  private static JobService jobs() {
    return JobsTesting.network(server).jobs();
  }

  private static TestNode.Stream readyNode(String type, int slots) {
    return JobsTesting.quietNode(server, type, slots);
  }

  private static UUID funded(long amount) {
    return ledger.fundedUser(amount);
  }

  private static String newType() {
    return "batched-" + types.incrementAndGet();
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
