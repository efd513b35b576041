package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.PerJobType;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who is paid for a render job split into tasks over nodes of several operators: each operator
 * earns the operator share (70 %) of the price of the frames its nodes delivered (a task's frames
 * count for the node that completed it), the platform the rest including every rounding
 * remainder, and the creator is charged the job's price once. The price of a frame is odd
 * (33,335 ten-thousandths), so a single frame's share does not divide evenly.
 */
class OperatorEarningsTest {

  private static final long FRAME_PRICE = 33_335;
  private static final MutableClock clock = new MutableClock();
  private static JobLedger ledger;
  private static TestServer server;
  private final List<TestNode.Stream> streams = new ArrayList<>();

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(() -> {
    JobsConfig jobs = JobsTesting.sweptByHand(JobsConfig.defaults().maxRuntimes());
    Map<String, Long> prices = new HashMap<>(jobs.prices().byType());
    prices.put("render", FRAME_PRICE);
    jobs = new JobsConfig(new PerJobType<>(prices, jobs.prices().fallback()), jobs.maxRuntimes(), jobs.acceptTimeout(),
        jobs.maxRetries(), jobs.heartbeatInterval(), jobs.heartbeatTimeout(), jobs.offlineAfter(), jobs.reconnectGrace(),
        jobs.unhealthyAfterFailures(), jobs.unhealthyCooldown(), jobs.challengeTtl(), jobs.sweepInterval(),
        jobs.syncInterval());
    return JobsTesting.start(JobsTesting.config(jobs), clock);
  }, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConserved() {
    JobsTesting.closeStreams(server, streams);
    ledger.checkInvariants();
  }

  @Test
  void twoTasksOnNodesOfTwoOperatorsPayEachOperatorForItsOwnFrames() {
    UUID operatorA = UUID.randomUUID();
    UUID operatorB = UUID.randomUUID();
    TestNode.Stream a = node(operatorA);
    TestNode.Stream b = node(operatorB);
    UUID creator = funded();
    long revenueBefore = ledger.platformRevenue();

    UUID job = submit(creator, "{\"frame_start\":1,\"frame_end\":4,\"frames_per_task\":2}");
    render(a, a.dispatch());
    render(b, b.dispatch()); // b finishes last: before, it earned the whole operator share
    awaitCaptured(creator, job);

    assertThat(ledger.balance(creator)).as("charged 4 frames once").isEqualTo(1_000_000 - 4 * FRAME_PRICE);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000 - 4 * FRAME_PRICE);
    assertThat(ledger.earnings(operatorA)).as("70 % of 2 frames").isEqualTo(2 * FRAME_PRICE * 70 / 100);
    assertThat(ledger.earnings(operatorB)).as("70 % of 2 frames").isEqualTo(2 * FRAME_PRICE * 70 / 100);
    assertThat(ledger.platformRevenue() - revenueBefore).as("30 % of 4 frames").isEqualTo(4 * FRAME_PRICE * 30 / 100);
    assertThat(ledger.hold(job).orElseThrow().operatorId()).as("no single operator was paid").isEmpty();
  }

  @Test
  void threeTasksRoundEachOperatorDownAndGiveTheRemainderAndTheOperatorlessShareToThePlatform() {
    UUID operatorA = UUID.randomUUID();
    UUID operatorB = UUID.randomUUID();
    List<TestNode.Stream> fleet = List.of(node(operatorA), node(operatorB), node(null));
    UUID creator = funded();
    long revenueBefore = ledger.platformRevenue();

    UUID job = submit(creator, "{\"frame_start\":1,\"frame_end\":3,\"frames_per_task\":1}");
    for (TestNode.Stream node : fleet) {
      render(node, node.dispatch());
    }
    awaitCaptured(creator, job);

    long price = 3 * FRAME_PRICE;
    long oneFrameShare = 23_334; // 70 % of 33,335 is 23,334.5: rounded down
    assertThat(FRAME_PRICE * 70 / 100).isEqualTo(oneFrameShare);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - price);
    assertThat(ledger.earnings(operatorA)).isEqualTo(oneFrameShare);
    assertThat(ledger.earnings(operatorB)).isEqualTo(oneFrameShare);
    assertThat(ledger.platformRevenue() - revenueBefore).as("the rest: the operatorless frame and the remainders")
        .isEqualTo(price - 2 * oneFrameShare)
        .isEqualTo(53_337);
  }

  @Test
  void aRequeuedTaskPaysTheOperatorWhoseNodeCompletedIt() {
    UUID lostOperator = UUID.randomUUID();
    UUID operatorB = UUID.randomUUID();
    TestNode.Stream a = node(lostOperator);
    TestNode.Stream b = node(operatorB);
    UUID creator = funded();
    long revenueBefore = ledger.platformRevenue();
    UUID job = submit(creator, "{\"frame_start\":10,\"frame_end\":11,\"frames_per_task\":1}");
    JobDispatch onA = a.dispatch();
    a.accept(onA);
    render(b, b.dispatch());

    a.abort(); // a's agent dies mid-task: its task is requeued and reruns on b
    JobsTesting.awaitStreamGone(server, a.node());
    clock.advance(Duration.ofMinutes(1));
    JobsTesting.heartbeatRecorded(server, b, clock.instant());
    JobsTesting.network(server).sweeper().sweep();
    JobDispatch rerun = b.dispatch();
    assertThat(rerun.getTaskId()).isEqualTo(onA.getTaskId());
    render(b, rerun);
    awaitCaptured(creator, job);

    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 2 * FRAME_PRICE);
    assertThat(ledger.earnings(lostOperator)).as("its node delivered nothing").isZero();
    assertThat(ledger.earnings(operatorB)).isEqualTo(2 * FRAME_PRICE * 70 / 100);
    assertThat(ledger.platformRevenue() - revenueBefore).isEqualTo(2 * FRAME_PRICE - 2 * FRAME_PRICE * 70 / 100);
    assertThat(ledger.hold(job).orElseThrow().operatorId()).hasValue(operatorB);
  }

  /**
   * The capture fails in the finishing transaction (a fault trigger on the hold, as if the ledger
   * were unavailable): the job completes CAPTURE_PENDING, and the sweeper's retry pays the same split.
   */
  @Test
  void theSweepersSettlementRetryPaysTheSameSplit() {
    UUID operatorA = UUID.randomUUID();
    UUID operatorB = UUID.randomUUID();
    TestNode.Stream a = node(operatorA);
    TestNode.Stream b = node(operatorB);
    UUID creator = funded();
    long revenueBefore = ledger.platformRevenue();
    UUID job = submit(creator, "{\"frame_start\":1,\"frame_end\":3,\"frames_per_task\":2}");
    JobDispatch onA = a.dispatch();
    JobDispatch onB = b.dispatch();
    UUID framesOnA = onA.getFrameStart() == 1 ? operatorA : operatorB; // the task of frames 1-2

    failCapturesOf(job);
    try {
      render(a, onA);
      render(b, onB);
      eventually("COMPLETED", () -> "COMPLETED".equals(jobColumn(job, JOBS.STATUS)));
      assertThat(jobColumn(job, JOBS.SETTLEMENT)).isEqualTo("CAPTURE_PENDING");
      assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.ACTIVE);
    } finally {
      dsl().execute("DROP TRIGGER fail_capture ON credit_holds");
      dsl().execute("DROP FUNCTION fail_capture()");
    }
    clock.advance(Duration.ofSeconds(10));
    JobsTesting.network(server).sweeper().sweep();
    assertThat(jobColumn(job, JOBS.SETTLEMENT)).isEqualTo("CAPTURED");

    long price = 3 * FRAME_PRICE;
    UUID oneFrameOperator = framesOnA.equals(operatorA) ? operatorB : operatorA;
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - price);
    assertThat(ledger.earnings(framesOnA)).isEqualTo(2 * FRAME_PRICE * 70 / 100);
    assertThat(ledger.earnings(oneFrameOperator)).isEqualTo(FRAME_PRICE * 70 / 100);
    assertThat(ledger.platformRevenue() - revenueBefore)
        .isEqualTo(price - 2 * FRAME_PRICE * 70 / 100 - FRAME_PRICE * 70 / 100);
  }

  // ---- helpers ----

  /** A render node with one slot, registered by {@code operator} (null: a node without operator). */
  private TestNode.Stream node(UUID operator) {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "render-node", List.of("render"),
        operator == null ? null : userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 1);
    streams.add(stream);
    stream.welcome();
    return stream;
  }

  private static void render(TestNode.Stream node, JobDispatch dispatch) {
    node.accept(dispatch);
    node.deliverAll(dispatch, frame -> ("frame " + frame + " ").repeat(300).getBytes(StandardCharsets.US_ASCII));
    node.complete(dispatch);
  }

  /** Makes every capture of {@code job}'s hold raise, in the database, until the trigger is dropped. */
  private static void failCapturesOf(UUID job) {
    dsl().execute("CREATE FUNCTION fail_capture() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF NEW.job_id = '" + job + "' AND NEW.status = 'CAPTURED' THEN RAISE EXCEPTION 'injected capture failure'; "
        + "END IF; RETURN NEW; END $$");
    dsl().execute("CREATE TRIGGER fail_capture BEFORE UPDATE ON credit_holds FOR EACH ROW EXECUTE FUNCTION fail_capture()");
  }

  private static void awaitCaptured(UUID creator, UUID job) {
    eventually("COMPLETED", () -> "COMPLETED".equals(jobColumn(job, JOBS.STATUS)));
    assertThat(jobColumn(job, JOBS.SETTLEMENT)).as("settled by the finishing commit").isEqualTo("CAPTURED");
    assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.CAPTURED);
    assertThat(ledger.available(creator)).isEqualTo(ledger.balance(creator));
  }

  private static String jobColumn(UUID job, org.jooq.TableField<?, String> column) {
    return dsl().select(column).from(JOBS).where(JOBS.ID.eq(job)).fetchSingle(column);
  }

  private static UUID funded() {
    return ledger.fundedUser(1_000_000);
  }

  private static UUID submit(UUID creator, String payload) {
    return UUID.fromString(JobsTesting.submitRender(server, creator, payload).get("job_id").asText());
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
