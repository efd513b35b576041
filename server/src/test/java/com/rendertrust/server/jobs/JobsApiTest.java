package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The jobs REST API: submission rules, idempotency, listing, ownership, cancel, result, queueing. */
class JobsApiTest {

  private static JobLedger ledger;
  private static final AtomicInteger types = new AtomicInteger();
  private static TestServer server;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConserved() {
    ledger.checkInvariants();
  }

  @Test
  void noHealthyNodeForTheTypeIs400AndWritesNothing() {
    UUID user = funded(100_000);
    int jobs = jobCount();
    int holds = ledger.holdCount();
    HttpResponse<String> response = dispatch(user, "{\"job_type\":\"nobody-runs-this\"}");
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Json.parse(response.body()).get("detail").asText()).contains("nobody-runs-this");
    assertThat(jobCount()).isEqualTo(jobs);
    assertThat(ledger.holdCount()).isEqualTo(holds);
  }

  @Test
  void aGpuJobNeedsAGpuNode() {
    String type = newType();
    readyNode(type, 1, false);
    UUID user = funded(100_000);
    assertThat(dispatch(user, "{\"job_type\":\"" + type + "\",\"gpu_required\":true}").statusCode()).isEqualTo(400);
    TestNode.Stream gpu = readyNode(type, 1, true);
    HttpResponse<String> accepted = dispatch(user, "{\"job_type\":\"" + type + "\",\"gpu_required\":true}");
    assertThat(accepted.statusCode()).isEqualTo(200);
    assertThat(Json.parse(accepted.body()).get("node_id").asText()).isEqualTo(gpu.node().id().toString());
  }

  @Test
  void tooFewCreditsIs402WithAvailableAndRequestedAndWritesNothing() {
    String type = newType(); // priced at the fallback: 1 credit
    readyNode(type, 1, false);
    UUID user = funded(5_000); // 0.5 credits
    int jobs = jobCount();
    HttpResponse<String> response = dispatch(user, "{\"job_type\":\"" + type + "\"}");
    assertThat(response.statusCode()).isEqualTo(402);
    JsonNode body = Json.parse(response.body());
    assertThat(body.get("available").asText()).isEqualTo("0.5000");
    assertThat(body.get("requested").asText()).isEqualTo("1.0000");
    assertThat(jobCount()).isEqualTo(jobs);
    assertThat(ledger.available(user)).isEqualTo(5_000);
  }

  static Stream<String> invalidSubmissions() {
    return Stream.of(
        "{\"job_type\":\"\"}",
        "{\"job_type\":\"has space\"}",
        "{\"job_type\":\"" + "t".repeat(101) + "\"}",
        "{\"job_type\":\"echo\",\"priority\":\"urgent\"}",
        "{\"job_type\":\"echo\",\"idempotency_key\":\"" + "k".repeat(256) + "\"}",
        "{\"job_type\":\"echo\",\"idempotency_key\":\"\"}",
        "{\"job_type\":\"echo\",\"idempotency_key\":\"tab\\there\"}",
        "{\"job_type\":\"echo\",\"payload_ref\":\"" + "r".repeat(1001) + "\"}",
        "{\"job_type\":\"echo\",\"payload\":{\"blob\":\"" + "x".repeat(70_000) + "\"}}");
  }

  @ParameterizedTest
  @MethodSource("invalidSubmissions")
  void invalidSubmissionsAre422AndWriteNothing(String body) {
    readyNode("echo", 4, false);
    UUID user = funded(100_000);
    int jobs = jobCount();
    HttpResponse<String> response = dispatch(user, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    assertThat(jobCount()).isEqualTo(jobs);
  }

  @Test
  void malformedJsonIs400AndAMissingTokenIs401() {
    assertThat(dispatch(UUID.randomUUID(), "{\"job_type\":").statusCode()).isEqualTo(400);
    assertThat(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}").statusCode()).isEqualTo(401);
    assertThat(server.get("/api/v1/jobs").statusCode()).isEqualTo(401);
  }

  @Test
  void theSameIdempotencyKeyGivesTheSameJobNeverASecond() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 4, false);
    UUID user = funded(100_000);
    String body = "{\"job_type\":\"" + type + "\",\"idempotency_key\":\"order-17\"}";
    JsonNode first = Json.parse(dispatch(user, body).body());
    JsonNode retry = Json.parse(dispatch(user, body).body());
    assertThat(retry).isEqualTo(first);
    JsonNode viaHeader = Json.parse(server.send(HttpRequest.newBuilder(server.uri("/api/v1/jobs/dispatch"))
        .header("Content-Type", "application/json").header("Authorization", userBearer(server, user))
        .header("Idempotency-Key", "order-17")
        .POST(HttpRequest.BodyPublishers.ofString("{\"job_type\":\"" + type + "\"}"))).body());
    assertThat(viaHeader.get("job_id")).isEqualTo(first.get("job_id"));
    assertThat(jobsOf(user)).hasSize(1);
    assertThat(ledger.available(user)).isEqualTo(90_000);
    node.dispatch();
    assertThat(node.poll(ConnectResponse::hasDispatch, Duration.ofMillis(300))).as("one dispatch only").isNull();

    HttpResponse<String> conflict = dispatch(user, "{\"job_type\":\"" + type + "\",\"priority\":\"high\","
        + "\"idempotency_key\":\"order-17\"}");
    assertThat(conflict.statusCode()).isEqualTo(409);
    HttpResponse<String> disagree = server.send(HttpRequest.newBuilder(server.uri("/api/v1/jobs/dispatch"))
        .header("Content-Type", "application/json").header("Authorization", userBearer(server, user))
        .header("Idempotency-Key", "other")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(disagree.statusCode()).isEqualTo(400);

    UUID otherUser = funded(100_000);
    JsonNode theirs = Json.parse(dispatch(otherUser, body).body());
    assertThat(theirs.get("job_id")).as("keys are per user").isNotEqualTo(first.get("job_id"));
    assertThat(jobsOf(user)).hasSize(1);
  }

  @Test
  void concurrentRetriesWithOneKeyCreateOneJob() throws Exception {
    String type = newType();
    readyNode(type, 8, false);
    UUID user = funded(1_000_000);
    String body = "{\"job_type\":\"" + type + "\",\"idempotency_key\":\"burst\"}";
    List<Thread> threads = new ArrayList<>();
    List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 8; i++) {
      threads.add(Thread.ofVirtual().start(() -> ids.add(Json.parse(dispatch(user, body).body()).get("job_id").asText())));
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(ids).hasSize(8).containsOnly(ids.get(0));
    assertThat(jobsOf(user)).hasSize(1);
    assertThat(ledger.available(user)).isEqualTo(990_000);
  }

  @Test
  void listingShowsOnlyTheCallersJobsNewestFirstWithFiltersAndPaging() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 10, false);
    UUID user = funded(1_000_000);
    UUID stranger = funded(1_000_000);
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      mine.add(Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText());
    }
    dispatch(stranger, "{\"job_type\":\"" + type + "\"}");
    JobDispatch first = node.dispatch();
    node.accept(first);
    eventually("running", () -> jobsOf(user, "?status=RUNNING").size() == 1);

    JsonNode all = Json.parse(server.get("/api/v1/jobs", "Authorization", userBearer(server, user)).body());
    assertThat(all.get("count").asInt()).isEqualTo(5);
    List<String> listed = new ArrayList<>();
    all.get("jobs").forEach(job -> listed.add(job.get("id").asText()));
    assertThat(listed).isEqualTo(mine.reversed());

    JsonNode page = Json.parse(server.get("/api/v1/jobs?limit=2&offset=1", "Authorization", userBearer(server, user)).body());
    assertThat(page.get("count").asInt()).isEqualTo(5);
    assertThat(page.get("jobs")).hasSize(2);
    assertThat(page.get("jobs").get(0).get("id").asText()).isEqualTo(mine.get(3));
    assertThat(jobsOf(user, "?status=DISPATCHED")).hasSize(4);
    assertThat(Json.parse(server.get("/api/v1/jobs?status=COMPLETED", "Authorization", userBearer(server, user)).body()).get("count").asInt())
        .isZero();

    assertThat(server.get("/api/v1/jobs?status=DONE", "Authorization", userBearer(server, user)).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/jobs?status=running", "Authorization", userBearer(server, user)).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/jobs?limit=201", "Authorization", userBearer(server, user)).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/jobs?limit=-1", "Authorization", userBearer(server, user)).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/jobs?offset=-1", "Authorization", userBearer(server, user)).statusCode()).isEqualTo(422);
  }

  @Test
  void anotherUsersJobAnswersExactlyLikeAMissingOne() {
    String type = newType();
    readyNode(type, 2, false);
    UUID owner = funded(100_000);
    String jobId = Json.parse(dispatch(owner, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText();
    String intruder = userBearer(server, UUID.randomUUID());
    String missing = UUID.randomUUID().toString();
    for (String suffix : List.of("", "/result")) {
      HttpResponse<String> foreign = server.get("/api/v1/jobs/" + jobId + suffix, "Authorization", intruder);
      HttpResponse<String> absent = server.get("/api/v1/jobs/" + missing + suffix, "Authorization", intruder);
      assertThat(foreign.statusCode()).isEqualTo(404);
      assertThat(foreign.body()).isEqualTo(absent.body());
    }
    HttpResponse<String> cancel = server.postJson("/api/v1/jobs/" + jobId + "/cancel", "{}", "Authorization", intruder);
    assertThat(cancel.statusCode()).isEqualTo(404);
    assertThat(cancel.body()).isEqualTo(server.postJson("/api/v1/jobs/" + missing + "/cancel", "{}", "Authorization", intruder).body());
    assertThat(server.get("/api/v1/jobs/not-a-uuid", "Authorization", intruder).statusCode()).isEqualTo(404);
    assertThat(server.get("/api/v1/jobs/%27%20OR%201%3D1%20--", "Authorization", intruder).statusCode()).isEqualTo(404);
    assertThat(jobStatus(owner, jobId)).isEqualTo("DISPATCHED");
  }

  @Test
  void cancellingAQueuedJobReleasesItsHold() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1, false);
    UUID user = funded(100_000);
    dispatch(user, "{\"job_type\":\"" + type + "\"}"); // takes the only slot
    JsonNode queued = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body());
    assertThat(queued.get("status").asText()).isEqualTo("QUEUED");
    assertThat(queued.get("node_id").isNull()).isTrue();
    assertThat(ledger.available(user)).isEqualTo(80_000);

    HttpResponse<String> cancelled = server.postJson("/api/v1/jobs/" + queued.get("job_id").asText() + "/cancel", "",
        "Authorization", userBearer(server, user));
    assertThat(cancelled.statusCode()).isEqualTo(200);
    JsonNode job = Json.parse(cancelled.body());
    assertThat(job.get("status").asText()).isEqualTo("CANCELLED");
    assertThat(job.get("completed_at").isTextual()).isTrue();
    assertThat(ledger.available(user)).isEqualTo(90_000);
    assertThat(ledger.holdStatus(UUID.fromString(queued.get("job_id").asText())))
        .isEqualTo(HoldStatus.RELEASED);
    node.dispatch();
  }

  @Test
  void cancellingADispatchedJobTellsTheNodeAndFreesItsSlot() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1, false);
    UUID user = funded(100_000);
    String first = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText();
    String second = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText();
    JobDispatch dispatched = node.dispatch();
    assertThat(dispatched.getJobId()).isEqualTo(first);

    HttpResponse<String> cancelled = server.postJson("/api/v1/jobs/" + first + "/cancel", "", "Authorization", userBearer(server, user));
    assertThat(cancelled.statusCode()).isEqualTo(200);
    ConnectResponse cancel = node.cancel();
    assertThat(cancel.getCancel().getJobId()).isEqualTo(first);
    assertThat(cancel.getCancel().getAssignmentId()).isEqualTo(dispatched.getAssignmentId());
    assertThat(cancel.getCancel().getReason()).isEqualTo("cancelled by user");
    assertThat(node.dispatch().getJobId()).as("the freed slot takes the queued job").isEqualTo(second);

    // a late result from the cancelled assignment changes nothing
    node.complete(dispatched);
    assertThat(node.poll(f -> false, Duration.ofMillis(200))).isNull();
    assertThat(jobStatus(user, first)).isEqualTo("CANCELLED");
  }

  @Test
  void aRunningJobIsCancelledItsNodeToldAndAnEndedJobIsNotCancellable() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1, false);
    UUID user = funded(100_000);
    String jobId = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText();
    JobDispatch running = node.dispatch();
    node.accept(running);
    eventually("running", () -> jobStatus(user, jobId).equals("RUNNING"));
    HttpResponse<String> cancelled = server.postJson("/api/v1/jobs/" + jobId + "/cancel", "", "Authorization",
        userBearer(server, user));
    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(Json.parse(cancelled.body()).get("status").asText()).isEqualTo("CANCELLED");
    assertThat(Json.parse(cancelled.body()).get("charged").asText()).as("nothing delivered").isEqualTo("0.0000");
    assertThat(node.cancel().getCancel().getAssignmentId()).isEqualTo(running.getAssignmentId());
    HttpResponse<String> refused = server.postJson("/api/v1/jobs/" + jobId + "/cancel", "", "Authorization",
        userBearer(server, user));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(Json.parse(refused.body()).get("detail").asText()).contains("CANCELLED");
    assertThat(jobStatus(user, jobId)).isEqualTo("CANCELLED");
  }

  @Test
  void aResultIsOnlyAvailableForACompletedJob() {
    String type = newType();
    readyNode(type, 1, false);
    UUID user = funded(100_000);
    String jobId = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("job_id").asText();
    HttpResponse<String> notYet = server.get("/api/v1/jobs/" + jobId + "/result", "Authorization", userBearer(server, user));
    assertThat(notYet.statusCode()).isEqualTo(404);
    assertThat(Json.parse(notYet.body()).get("detail").asText()).contains("not completed");
  }

  @Test
  void queuedJobsGoOutByPriorityThenFifoWhenASlotFrees() {
    String type = newType();
    TestNode.Stream node = readyNode(type, 1, false);
    UUID user = funded(1_000_000);
    String running = submit(user, type, "normal");
    String normal1 = submit(user, type, "normal");
    String low = submit(user, type, "low");
    String high = submit(user, type, "high");
    String normal2 = submit(user, type, "normal");
    List<String> order = new ArrayList<>();
    JobDispatch current = node.dispatch();
    assertThat(current.getJobId()).isEqualTo(running);
    for (int i = 0; i < 4; i++) {
      node.accept(current);
      node.complete(current);
      current = node.dispatch();
      order.add(current.getJobId());
    }
    assertThat(order).containsExactly(high, normal1, normal2, low);
  }

  @Test
  void aJobGoesToTheLeastLoadedCapableNode() {
    String type = newType();
    TestNode.Stream a = readyNode(type, 2, false);
    TestNode.Stream b = readyNode(type, 2, false);
    UUID user = funded(1_000_000);
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      nodes.add(Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body()).get("node_id").asText());
    }
    assertThat(nodes.subList(0, 2)).containsExactlyInAnyOrder(a.node().id().toString(), b.node().id().toString());
    assertThat(nodes.subList(2, 4)).containsExactlyInAnyOrder(a.node().id().toString(), b.node().id().toString());
    JsonNode fifth = Json.parse(dispatch(user, "{\"job_type\":\"" + type + "\"}").body());
    assertThat(fifth.get("status").asText()).isEqualTo("QUEUED");
  }

  // ---- helpers ----

  private static String newType() {
    return "type-" + types.incrementAndGet();
  }

  private static UUID funded(long amount) {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, amount);
    return user;
  }

  private static TestNode.Stream readyNode(String type, int slots, boolean gpu) {
    TestNode node = TestNode.ready(server.channel(), "node-" + type, gpu ? List.of(type, "gpu") : List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), slots);
    stream.welcome();
    return stream;
  }

  private static HttpResponse<String> dispatch(UUID user, String body) {
    return server.postJson("/api/v1/jobs/dispatch", body, "Authorization", userBearer(server, user));
  }

  private static String submit(UUID user, String type, String priority) {
    HttpResponse<String> response = dispatch(user, "{\"job_type\":\"" + type + "\",\"priority\":\"" + priority + "\"}");
    assertThat(response.statusCode()).isEqualTo(200);
    return Json.parse(response.body()).get("job_id").asText();
  }

  private static String jobStatus(UUID user, String jobId) {
    return Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", userBearer(server, user)).body()).get("status").asText();
  }

  private static List<JsonNode> jobsOf(UUID user) {
    return jobsOf(user, "");
  }

  private static List<JsonNode> jobsOf(UUID user, String query) {
    List<JsonNode> jobs = new ArrayList<>();
    Json.parse(server.get("/api/v1/jobs" + query, "Authorization", userBearer(server, user)).body()).get("jobs").forEach(jobs::add);
    return jobs;
  }

  private static int jobCount() {
    return server.controlPlane().database().dsl().fetchCount(JOBS);
  }
}
