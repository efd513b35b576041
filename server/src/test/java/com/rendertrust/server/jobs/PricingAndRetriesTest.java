package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.testing.JobsTesting.awaitDispatchOn;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.JobsTesting.DispatchOn;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 through the real server: estimates and tiers, pay for delivered frames (cancel of a
 * running render, INVALID_INPUT), typed failures retried on another node, manual retry under a
 * new hold, and fair share across creators. Every test ends with the ledger's invariants.
 */
class PricingAndRetriesTest {

  private static final long CREDIT = 10_000;
  private static final MutableClock clock = new MutableClock();
  private static JobLedger ledger;
  private static TestServer server;
  private final List<TestNode.Stream> streams = new ArrayList<>();

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(() -> JobsTesting.start(JobsTesting.config(JobsTesting.sweptByHand(JobsConfig.defaults().maxRuntimes())), clock), (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConserved() {
    JobsTesting.closeStreams(server, streams);
    ledger.checkInvariants();
  }

  @Test
  void estimatesOfTheThreeTiersWriteNothingAndNeverAnswer402() {
    node("cpu_benchmark", 2);
    UUID creator = ledger.fundedUser(10 * CREDIT);
    int jobsBefore = dsl().fetchCount(JOBS);
    for (String[] tier : new String[][] {{"economy", "0.8000"}, {"standard", "1.0000"}, {"priority", "1.5000"}}) {
      JsonNode estimate = estimate(creator, "{\"job_type\":\"cpu_benchmark\",\"tier\":\"" + tier[0] + "\"}", 200);
      assertThat(estimate.get("price").asText()).as(tier[0]).isEqualTo(tier[1]);
      assertThat(estimate.get("tier").asText()).isEqualTo(tier[0]);
      assertThat(estimate.get("available").asText()).isEqualTo("10.0000");
      assertThat(estimate.get("sufficient").asBoolean()).isTrue();
      assertThat(estimate.get("eligible_nodes").asInt()).isEqualTo(1);
      assertThat(estimate.get("free_slots").asInt()).isEqualTo(2);
      assertThat(estimate.get("queued_ahead").asInt()).isZero();
      assertThat(estimate.get("estimated_start_seconds").asLong()).isZero();
    }
    JsonNode nobody = estimate(creator, "{\"job_type\":\"nobody_offers_this\"}", 400); // the same 400 as dispatch
    assertThat(nobody.get("detail").asText()).contains("no healthy node");
    JsonNode poor = estimate(UUID.randomUUID(), "{\"job_type\":\"cpu_benchmark\",\"tier\":\"priority\"}", 200);
    assertThat(poor.get("sufficient").asBoolean()).isFalse();
    assertThat(poor.get("available").asText()).isEqualTo("0.0000");
    estimate(creator, "{\"job_type\":\"cpu_benchmark\",\"tier\":\"gold\"}", 422);
    HttpResponse<String> dispatch = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"cpu_benchmark\",\"tier\":\"gold\"}", "Authorization", userBearer(server, creator));
    assertThat(dispatch.statusCode()).isEqualTo(422);
    assertThat(dsl().fetchCount(JOBS)).as("nothing written").isEqualTo(jobsBefore);
    assertThat(ledger.available(creator)).isEqualTo(10 * CREDIT);
  }

  @Test
  void theTierMultipliesThePriceAndChargedIsFilledAtSettlement() {
    TestNode.Stream node = node("cpu_benchmark", 1);
    UUID creator = ledger.fundedUser(10 * CREDIT);
    UUID job = submit(creator, "{\"job_type\":\"cpu_benchmark\",\"tier\":\"priority\"}");
    JsonNode before = getJob(creator, job);
    assertThat(before.get("tier").asText()).isEqualTo("priority");
    assertThat(before.get("price").asText()).isEqualTo("1.5000");
    assertThat(before.get("charged").isNull()).isTrue();
    JobDispatch dispatch = node.dispatch();
    node.accept(dispatch);
    node.upload(dispatch, "result".getBytes(StandardCharsets.US_ASCII));
    node.complete(dispatch);
    eventually("completed", () -> "COMPLETED".equals(getJob(creator, job).get("status").asText()));
    assertThat(getJob(creator, job).get("charged").asText()).isEqualTo("1.5000");
    assertThat(ledger.balance(creator)).isEqualTo(10 * CREDIT - 15_000);
  }

  @Test
  void aRunningRenderCancelledAfterTwoDeliveredFramesChargesExactlyTwoFrames() {
    TestNode.Stream node = node("render", 1);
    UUID creator = ledger.fundedUser(100 * CREDIT);
    UUID job = submit(creator, "{\"job_type\":\"render\",\"payload\":{\"frame_start\":1,\"frame_end\":4,"
        + "\"frames_per_task\":4}}");
    JobDispatch dispatch = node.dispatch();
    node.accept(dispatch);
    for (var target : dispatch.getOutputsList().subList(0, 2)) {
      byte[] bytes = ("frame " + target.getFrame()).getBytes(StandardCharsets.US_ASCII);
      assertThat(node.upload(target, bytes)).isEqualTo(200);
      node.outputReady(dispatch, target, bytes.length, TestNode.sha256(bytes));
    }
    eventually("two frames delivered", () -> getJob(creator, job).get("frames_done").asInt() == 2);
    assertThat(getJob(creator, job).get("status").asText()).isEqualTo("RUNNING");

    HttpResponse<String> cancel = server.postJson("/api/v1/jobs/" + job + "/cancel", "{}",
        "Authorization", userBearer(server, creator));
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
    JsonNode cancelled = Json.parse(cancel.body());
    assertThat(cancelled.get("status").asText()).isEqualTo("CANCELLED");
    assertThat(cancelled.get("charged").asText()).isEqualTo("20.0000");
    assertThat(node.cancel().getCancel().getAssignmentId()).isEqualTo(dispatch.getAssignmentId());
    assertThat(ledger.balance(creator)).as("2 of 4 frames").isEqualTo(80 * CREDIT);
    assertThat(ledger.available(creator)).as("the rest released").isEqualTo(80 * CREDIT);
    assertThat(ledger.holdStatus(job)).isEqualTo(HoldStatus.CAPTURED);

    HttpResponse<String> again = server.postJson("/api/v1/jobs/" + job + "/cancel", "{}",
        "Authorization", userBearer(server, creator));
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(again.body()).contains("already ended");
    // credits returned after the capture (an administrator's refund) show as REFUND
    server.controlPlane().credits().refund(creator, new CreditAmount(20 * CREDIT), "refund-" + job, "Refund");
    HttpResponse<String> history = server.get("/api/v1/credits/history?limit=1", "Authorization",
        userBearer(server, creator));
    JsonNode refund = Json.parse(history.body()).get("entries").get(0);
    assertThat(refund.get("source").asText()).isEqualTo("REFUND");
    assertThat(refund.get("direction").asText()).isEqualTo("CREDIT");
    assertThat(refund.get("amount").asText()).isEqualTo("20.0000");
    assertThat(ledger.balance(creator)).isEqualTo(100 * CREDIT);
  }

  @Test
  void invalidInputFailsAtOnceAndChargesNothing() {
    TestNode.Stream node = node("render", 1);
    TestNode.Stream other = node("render", 1);
    UUID creator = ledger.fundedUser(100 * CREDIT);
    UUID job = submit(creator, "{\"job_type\":\"render\",\"payload\":{\"frame\":1}}");
    DispatchOn got = awaitDispatchOn(node, other);
    TestNode.Stream holder = got.node();
    JobDispatch dispatch = got.dispatch();
    holder.accept(dispatch);
    holder.fail(dispatch, "not a .blend file", "INVALID_INPUT");
    eventually("failed", () -> "FAILED".equals(getJob(creator, job).get("status").asText()));
    JsonNode failed = getJob(creator, job);
    assertThat(failed.get("error_code").asText()).isEqualTo("INVALID_INPUT");
    assertThat(failed.get("charged").asText()).isEqualTo("0.0000");
    assertThat(taskAttempts(job)).isEqualTo(1);
    assertThat(ledger.balance(creator)).isEqualTo(100 * CREDIT);
    assertThat(ledger.available(creator)).isEqualTo(100 * CREDIT);
  }

  @Test
  void aFailureIsRetriedOnTheOtherNodeAndAManualRetryRerunsAFailedJobUnderANewHold() {
    TestNode.Stream a = node("flaky", 1);
    TestNode.Stream b = node("flaky", 1);
    UUID creator = ledger.fundedUser(10 * CREDIT);
    UUID job = submit(creator, "{\"job_type\":\"flaky\"}");
    DispatchOn got = awaitDispatchOn(a, b);
    TestNode.Stream first = got.node();
    TestNode.Stream second = first == a ? b : a;
    JobDispatch attempt1 = got.dispatch();
    first.accept(attempt1);
    first.fail(attempt1, "exit status 1", "PLUGIN_ERROR");
    JobDispatch attempt2 = second.dispatch(); // never the node it failed on, while another exists
    assertThat(attempt2.getTaskId()).isEqualTo(attempt1.getTaskId());
    second.accept(attempt2);
    second.upload(attempt2, "ok".getBytes(StandardCharsets.US_ASCII));
    second.complete(attempt2);
    eventually("completed", () -> "COMPLETED".equals(getJob(creator, job).get("status").asText()));
    assertThat(taskAttempts(job)).isEqualTo(2);
    assertThat(getJob(creator, job).get("charged").asText()).isEqualTo("1.0000");

    HttpResponse<String> notFailed = server.postJson("/api/v1/jobs/" + job + "/retry", "{}",
        "Authorization", userBearer(server, creator));
    assertThat(notFailed.statusCode()).isEqualTo(400);
    assertThat(notFailed.body()).contains("only FAILED jobs");

    UUID broken = submit(creator, "{\"job_type\":\"flaky\"}");
    got = awaitDispatchOn(a, b);
    TestNode.Stream holder = got.node();
    JobDispatch bad = got.dispatch();
    holder.accept(bad);
    holder.fail(bad, "bad payload", "INVALID_INPUT");
    eventually("failed", () -> "FAILED".equals(getJob(creator, broken).get("status").asText()));
    long availableBefore = ledger.available(creator);
    HttpResponse<String> retry = server.postJson("/api/v1/jobs/" + broken + "/retry", "{}",
        "Authorization", userBearer(server, creator));
    assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
    assertThat(Json.parse(retry.body()).get("status").asText()).isIn("QUEUED", "DISPATCHED");
    got = awaitDispatchOn(a, b);
    holder = got.node();
    JobDispatch rerun = got.dispatch();
    assertThat(ledger.available(creator)).as("a new hold").isEqualTo(availableBefore - CREDIT);
    holder.accept(rerun);
    holder.upload(rerun, "ok".getBytes(StandardCharsets.US_ASCII));
    holder.complete(rerun);
    eventually("rerun completed", () -> "COMPLETED".equals(getJob(creator, broken).get("status").asText()));
    assertThat(getJob(creator, broken).get("charged").asText()).isEqualTo("1.0000");
    assertThat(ledger.balance(creator)).isEqualTo(10 * CREDIT - 2 * CREDIT);
  }

  @Test
  void aCreatorWithAThousandQueuedTasksDoesNotStarveOneWhoSubmitsLater() {
    TestNode.Stream n1 = node("render", 1);
    TestNode.Stream n2 = node("render", 1);
    UUID a = ledger.fundedUser(20_000 * CREDIT);
    UUID b = ledger.fundedUser(100 * CREDIT);
    UUID bigJob = submit(a, "{\"job_type\":\"render\",\"payload\":{\"frame_start\":1,\"frame_end\":1000}}");
    JobDispatch a1 = n1.dispatch();
    JobDispatch a2 = n2.dispatch();
    UUID small = submit(b, "{\"job_type\":\"render\",\"payload\":{\"frame\":7}}");
    assertThat(getJob(b, small).get("status").asText()).as("queued behind A's backlog").isEqualTo("QUEUED");

    render(n1, a1); // the first slot that frees goes to B, not to A's next task
    JobDispatch next = n1.dispatch();
    assertThat(next.getJobId()).isEqualTo(small.toString());
    render(n1, next);
    eventually("B completed", () -> "COMPLETED".equals(getJob(b, small).get("status").asText()));
    assertThat(n1.dispatch().getJobId()).as("then A again").isEqualTo(bigJob.toString());

    HttpResponse<String> cancel = server.postJson("/api/v1/jobs/" + bigJob + "/cancel", "{}",
        "Authorization", userBearer(server, a));
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
    assertThat(Json.parse(cancel.body()).get("charged").asText()).as("one delivered frame").isEqualTo("10.0000");
    assertThat(a2.getJobId()).isEqualTo(bigJob.toString());
  }

  // ---- helpers ----

  private TestNode.Stream node(String type, int slots) {
    TestNode.Stream stream = JobsTesting.readyNode(server, type, slots);
    streams.add(stream);
    return stream;
  }

  private static void render(TestNode.Stream node, JobDispatch dispatch) {
    node.accept(dispatch);
    node.deliverAll(dispatch, frame -> ("frame " + frame).getBytes(StandardCharsets.US_ASCII));
    node.complete(dispatch);
  }

  private static JsonNode estimate(UUID creator, String body, int status) {
    HttpResponse<String> response = server.postJson("/api/v1/jobs/estimate", body,
        "Authorization", userBearer(server, creator));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    return Json.parse(response.body());
  }

  private static UUID submit(UUID creator, String body) {
    return JobsTesting.submit(server, creator, body);
  }

  private static JsonNode getJob(UUID creator, UUID job) {
    return JobsTesting.getJob(server, creator, job);
  }

  private static int taskAttempts(UUID job) {
    return dsl().select(JOB_TASKS.ATTEMPTS).from(JOB_TASKS).where(JOB_TASKS.JOB_ID.eq(job))
        .fetchSingle(JOB_TASKS.ATTEMPTS);
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
