package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.testing.Downloads;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Render jobs as tasks: a frame range split by frames_per_task, each task scheduled, fenced and
 * retried on its own, spread over the fleet, delivering per-frame outputs the server checks
 * against the stored objects; the job's status derived from its tasks; outputs listed and
 * served as a streamed ZIP. Time is a hand-moved clock and the sweeper runs when the test says.
 * Every test ends its jobs and closes its nodes' streams, so the next one starts with an empty
 * queue.
 */
class RenderTasksTest {

  private static final MutableClock clock = new MutableClock();
  private static JobLedger ledger;
  private static TestServer server;
  private final List<TestNode.Stream> streams = new ArrayList<>();

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(() -> JobsTesting.start(JobsTesting.config(JobsTesting.sweptByHand(JobsConfig.defaults().maxRuntimes())), clock), (started, money) -> {
    server = started;
    ledger = money;
  });

  /** Money never created or lost; every node's used slots equal the tasks it holds. */
  @AfterEach
  void invariantsHold() {
    JobsTesting.closeStreams(server, streams);
    ledger.checkInvariants();
    for (var node : dsl().selectFrom(NODES).fetch()) {
      int held = dsl().fetchCount(JOB_TASKS, JOB_TASKS.NODE_ID.eq(node.getId())
          .and(JOB_TASKS.STATUS.in("DISPATCHED", "RUNNING")));
      assertThat(node.getActiveJobs()).as("active tasks of node " + node.getId()).isEqualTo(held);
    }
  }

  @Test
  void aFrameRangeIsSplitIntoTasksSpreadOverTwoNodesAndDownloadsFrameByFrameAndAsAZip() {
    TestNode.Stream a = renderNode(2);
    TestNode.Stream b = renderNode(2);
    UUID creator = funded();

    JsonNode submitted = submit(creator, "{\"frame_start\":1,\"frame_end\":4,\"frames_per_task\":2}");
    assertThat(submitted.get("status").asText()).isEqualTo("DISPATCHED");
    String jobId = submitted.get("job_id").asText();
    assertThat(ledger.available(creator)).as("4 frames x 10 credits held").isEqualTo(1_000_000 - 400_000);

    JobDispatch onA = a.dispatch();
    JobDispatch onB = b.dispatch();
    assertThat(List.of(onA.getJobId(), onB.getJobId())).containsOnly(jobId);
    assertThat(onA.getTaskId()).isNotEqualTo(onB.getTaskId());
    Map<Integer, JobDispatch> byFirstFrame = new LinkedHashMap<>();
    byFirstFrame.put(onA.getFrameStart(), onA);
    byFirstFrame.put(onB.getFrameStart(), onB);
    assertThat(byFirstFrame.keySet()).containsExactlyInAnyOrder(1, 3);
    JobDispatch first = byFirstFrame.get(1);
    assertThat(first.getFrameEnd()).isEqualTo(2);
    assertThat(first.getFrameStep()).isEqualTo(1);
    assertThat(first.getOutputsList()).extracting(OutputTarget::getName).containsExactly("frame_0001.png", "frame_0002.png");
    assertThat(first.getOutputs(0).getUploadHeadersMap()).containsEntry("content-type", "image/png");
    assertThat(first.getOutputs(0).getUploadUrl()).contains("/blobs/outputs/" + jobId + "/" + first.getAssignmentId()
        + "/frame_0001.png");

    JsonNode tasks = tasks(creator, jobId);
    assertThat(tasks.get("count").asInt()).isEqualTo(2);
    assertThat(tasks.get("tasks").get(0).get("index").asInt()).isZero();
    assertThat(tasks.get("tasks").get(0).get("frame_start").asInt()).isEqualTo(1);
    assertThat(tasks.get("tasks").get(0).get("frame_end").asInt()).isEqualTo(2);
    assertThat(tasks.get("tasks").get(1).get("frame_start").asInt()).isEqualTo(3);
    assertThat(tasks.get("tasks").get(1).get("frame_end").asInt()).isEqualTo(4);
    assertThat(Set.of(tasks.get("tasks").get(0).get("node_id").asText(), tasks.get("tasks").get(1).get("node_id").asText()))
        .as("one task on each node").containsExactlyInAnyOrder(a.node().id().toString(), b.node().id().toString());
    JsonNode job = job(creator, jobId);
    assertThat(job.get("tasks_total").asInt()).isEqualTo(2);
    assertThat(job.get("frames_total").asInt()).isEqualTo(4);
    assertThat(job.get("status").asText()).isEqualTo("DISPATCHED");

    a.accept(onA);
    eventually("RUNNING", () -> status(creator, jobId).equals("RUNNING"));
    a.deliverAll(onA, RenderTasksTest::frameBytes);
    a.complete(onA);
    eventually("one task done", () -> job(creator, jobId).get("tasks_done").asInt() == 1);
    job = job(creator, jobId);
    assertThat(job.get("status").asText()).isEqualTo("RUNNING");
    assertThat(job.get("frames_done").asInt()).isEqualTo(2);
    assertThat(job.get("progress").asDouble()).isEqualTo(0.5);

    b.accept(onB);
    b.deliverAll(onB, RenderTasksTest::frameBytes);
    b.complete(onB);
    eventually("COMPLETED", () -> status(creator, jobId).equals("COMPLETED"));
    eventually("charged", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 400_000);

    JsonNode outputs = Json.parse(get("/api/v1/jobs/" + jobId + "/outputs", creator).body());
    assertThat(outputs.get("count").asInt()).isEqualTo(4);
    assertThat(outputs.get("expires_in").asInt()).isEqualTo(3600);
    for (int i = 0; i < 4; i++) {
      JsonNode output = outputs.get("outputs").get(i);
      int frame = i + 1;
      assertThat(output.get("frame").asInt()).isEqualTo(frame);
      assertThat(output.get("name").asText()).isEqualTo(String.format("frame_%04d.png", frame));
      assertThat(output.get("content_type").asText()).isEqualTo("image/png");
      assertThat(output.get("sha256").asText()).isEqualTo(TestNode.sha256(frameBytes(frame)));
      assertThat(Downloads.bytes(output.get("download_url").asText())).isEqualTo(frameBytes(frame));
    }

    JsonNode result = Json.parse(get("/api/v1/jobs/" + jobId + "/result", creator).body());
    HttpResponse<byte[]> zip = Downloads.get(result.get("download_url").asText());
    assertThat(zip.statusCode()).isEqualTo(200);
    assertThat(zip.headers().firstValue("content-type")).hasValue("application/zip");
    Map<String, byte[]> entries = Downloads.unzip(zip.body());
    assertThat(entries.keySet()).containsExactly("frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_0004.png");
    for (int frame = 1; frame <= 4; frame++) {
      assertThat(entries.get(String.format("frame_%04d.png", frame))).isEqualTo(frameBytes(frame));
    }
    String tampered = result.get("download_url").asText().replace(jobId, UUID.randomUUID().toString());
    assertThat(Downloads.get(tampered).statusCode()).as("a signature covers its job only").isEqualTo(403);
  }

  @Test
  void aFrameCountsOnlyOnceTheStoredObjectMatchesWhatTheNodeReported() {
    TestNode.Stream node = renderNode(1);
    UUID creator = funded();
    String jobId = submit(creator, "{\"frame_start\":1,\"frame_end\":2,\"frames_per_task\":2,\"format\":\"JPEG\"}")
        .get("job_id").asText();
    JobDispatch dispatch = node.dispatch();
    node.accept(dispatch);
    OutputTarget frame1 = dispatch.getOutputs(0);
    OutputTarget frame2 = dispatch.getOutputs(1);
    assertThat(frame1.getName()).isEqualTo("frame_0001.jpg");
    byte[] bytes = frameBytes(1);
    assertThat(node.upload(frame1, bytes)).isEqualTo(200);

    UUID job = UUID.fromString(jobId);
    UUID assignment = UUID.fromString(dispatch.getAssignmentId());
    String sha = TestNode.sha256(bytes);
    assertThat(report(node, job, assignment, new OutputReport(1, frame1.getName(), bytes.length + 1, sha, "image/jpeg")))
        .as("wrong size").isEqualTo(ReportOutcome.REJECTED);
    assertThat(report(node, job, assignment, new OutputReport(1, frame1.getName(), bytes.length,
        TestNode.sha256(frameBytes(2)), "image/jpeg"))).as("wrong hash").isEqualTo(ReportOutcome.REJECTED);
    assertThat(report(node, job, assignment, new OutputReport(2, frame2.getName(), bytes.length, sha, "image/jpeg")))
        .as("never uploaded").isEqualTo(ReportOutcome.REJECTED);
    assertThat(report(node, job, assignment, new OutputReport(1, "frame_0001.png", bytes.length, sha, "image/png")))
        .as("not the name the format gives").isEqualTo(ReportOutcome.REJECTED);
    assertThat(report(node, job, assignment, new OutputReport(3, "frame_0003.jpg", bytes.length, sha, "image/jpeg")))
        .as("not a frame of the task").isEqualTo(ReportOutcome.REJECTED);
    assertThat(outputs(creator, jobId)).as("nothing delivered").isEmpty();
    node.outputReady(dispatch, frame1, bytes.length, sha);
    eventually("frame 1 delivered", () -> outputs(creator, jobId).equals(List.of(1)));
    assertThat(job(creator, jobId).get("frames_done").asInt()).isEqualTo(1);

    node.complete(dispatch); // frame 2 is missing: the attempt failed, the task is retried
    JobDispatch retry = node.dispatch();
    assertThat(retry.getTaskId()).isEqualTo(dispatch.getTaskId());
    assertThat(retry.getAssignmentId()).isNotEqualTo(dispatch.getAssignmentId());
    JsonNode task = tasks(creator, jobId).get("tasks").get(0);
    assertThat(task.get("attempts").asInt()).isEqualTo(2);
    assertThat(job(creator, jobId).get("retry_count").asInt()).isEqualTo(1);
    assertThat(report(node, job, assignment, new OutputReport(1, frame1.getName(), bytes.length, sha, "image/jpeg")))
        .as("the old attempt is fenced off").isEqualTo(ReportOutcome.STALE);

    node.accept(retry);
    node.deliverAll(retry, RenderTasksTest::frameBytes);
    node.complete(retry);
    eventually("COMPLETED", () -> status(creator, jobId).equals("COMPLETED"));
    assertThat(outputs(creator, jobId)).containsExactly(1, 2);
    eventually("charged", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
  }

  @Test
  void onlyTheTaskOfALostNodeIsRequeuedAndItRunsAgainOnAnotherNode() {
    TestNode.Stream a = renderNode(1);
    TestNode.Stream b = renderNode(1);
    UUID creator = funded();
    String jobId = submit(creator, "{\"frame_start\":10,\"frame_end\":11}").get("job_id").asText();
    JobDispatch onA = a.dispatch();
    JobDispatch onB = b.dispatch();
    a.accept(onA);
    b.accept(onB);
    b.deliverAll(onB, RenderTasksTest::frameBytes);
    b.complete(onB);
    eventually("B's task done", () -> job(creator, jobId).get("tasks_done").asInt() == 1);

    a.abort(); // A's agent crashes in the middle of its task
    JobsTesting.awaitStreamGone(server, a.node());
    clock.advance(Duration.ofMinutes(1));
    JobsTesting.heartbeatRecorded(server, b, clock.instant());
    JobsTesting.network(server).sweeper().sweep();

    JobDispatch rerun = b.dispatch();
    assertThat(rerun.getTaskId()).isEqualTo(onA.getTaskId());
    assertThat(rerun.getFrameStart()).isEqualTo(onA.getFrameStart());
    JsonNode tasks = tasks(creator, jobId);
    JsonNode lost = task(tasks, onA.getTaskId());
    JsonNode done = task(tasks, onB.getTaskId());
    assertThat(lost.get("status").asText()).isEqualTo("DISPATCHED");
    assertThat(lost.get("node_id").asText()).isEqualTo(b.node().id().toString());
    assertThat(lost.get("attempts").asInt()).isEqualTo(2);
    assertThat(done.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(done.get("attempts").asInt()).as("the finished task is left alone").isEqualTo(1);
    assertThat(status(creator, jobId)).isEqualTo("RUNNING");

    b.accept(rerun);
    b.deliverAll(rerun, RenderTasksTest::frameBytes);
    b.complete(rerun);
    eventually("COMPLETED", () -> status(creator, jobId).equals("COMPLETED"));
    assertThat(outputs(creator, jobId)).containsExactly(10, 11);
    eventually("charged", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
  }

  @Test
  void theJobsStatusFollowsItsTasksAndAFailedTaskFailsTheJobAndCancelsTheRest() {
    TestNode.Stream node = renderNode(1);
    UUID creator = funded();
    String jobId = submit(creator, "{\"frame_start\":1,\"frame_end\":3,\"format\":\"BMP\"}").get("job_id").asText();
    JobDispatch first = node.dispatch();
    assertThat(status(creator, jobId)).isEqualTo("DISPATCHED");
    assertThat(taskStatuses(creator, jobId)).containsExactly("DISPATCHED", "QUEUED", "QUEUED");

    JsonNode waiting = submit(creator, "{\"frame\":7}");
    assertThat(waiting.get("status").asText()).as("the only node is busy").isEqualTo("QUEUED");
    String waitingId = waiting.get("job_id").asText();
    assertThat(status(creator, waitingId)).isEqualTo("QUEUED");
    assertThat(server.postJson("/api/v1/jobs/" + waitingId + "/cancel", "{}", "Authorization",
        userBearer(server, creator)).statusCode()).isEqualTo(200);
    assertThat(taskStatuses(creator, waitingId)).containsExactly("CANCELLED");

    node.accept(first);
    eventually("RUNNING", () -> status(creator, jobId).equals("RUNNING"));
    node.deliverAll(first, RenderTasksTest::frameBytes);
    node.complete(first);
    JobDispatch second = node.dispatch(); // the freed slot takes the next task at once
    assertThat(second.getFrameStart()).isEqualTo(2);
    assertThat(second.getOutputs(0).getName()).isEqualTo("frame_0002.bmp");
    assertThat(status(creator, jobId)).isEqualTo("RUNNING");
    node.accept(second);
    node.fail(second, "blender cannot open the scene", "INVALID_INPUT"); // no node could do better

    eventually("FAILED", () -> status(creator, jobId).equals("FAILED"));
    JsonNode job = job(creator, jobId);
    assertThat(job.get("error_code").asText()).isEqualTo("INVALID_INPUT");
    assertThat(job.get("error_message").asText()).isEqualTo("blender cannot open the scene");
    assertThat(taskStatuses(creator, jobId)).containsExactly("COMPLETED", "FAILED", "CANCELLED");
    assertThat(tasks(creator, jobId).get("tasks").get(1).get("error_code").asText()).isEqualTo("INVALID_INPUT");
    // pay for what was delivered: frame 1 of 3 is charged, the rest of the hold released
    eventually("settled", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.CAPTURED);
    assertThat(job(creator, jobId).get("charged").asText()).isEqualTo("10.0000");
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000 - 100_000);
    assertThat(ledger.available(creator)).isEqualTo(1_000_000 - 100_000);
  }

  @Test
  void aFillThatHeldAJobWhileOtherNodesSkippedItHandsTheJobsOtherTasksToAQueuePass() throws Exception {
    TestNode.Stream first = renderNode(1);
    UUID creator = funded();
    String jobId = submit(creator, "{\"frame_start\":1,\"frame_end\":3}").get("job_id").asText();
    first.dispatch();
    assertThat(taskStatuses(creator, jobId)).containsExactly("DISPATCHED", "QUEUED", "QUEUED");
    TestNode.Stream a;
    // A fill or a queue pass placing one of the job's tasks holds the job's row, and every other
    // placement skips the job's tasks meanwhile (SKIP LOCKED): here, the fills of two nodes connecting.
    try (Connection placing = server.controlPlane().database().dataSource().getConnection()) {
      placing.setAutoCommit(false);
      try (PreparedStatement lock = placing.prepareStatement("SELECT 1 FROM jobs WHERE id = ? FOR UPDATE")) {
        lock.setObject(1, UUID.fromString(jobId));
        lock.executeQuery().close();
      }
      a = renderNode(1);
      TestNode.Stream b = renderNode(1);
      clock.advance(Duration.ofSeconds(1)); // a heartbeat each, handled after the stream's opening fill
      JobsTesting.heartbeatRecorded(server, a, clock.instant());
      JobsTesting.heartbeatRecorded(server, b, clock.instant());
      placing.rollback();
    }

    // A fill places one task on its node (as a's next heartbeat would), holding the job's row: the
    // other free node gets the other task at once, not at the next sweep (which this test never
    // runs). (Rarely b's heartbeat's fill is still on its way and is that fill.)
    JobsTesting.network(server).scheduler().fillNode(a.node().id());
    eventually("every task dispatched", () -> taskStatuses(creator, jobId)
        .equals(List.of("DISPATCHED", "DISPATCHED", "DISPATCHED")));
    assertThat(server.postJson("/api/v1/jobs/" + jobId + "/cancel", "{}", "Authorization",
        userBearer(server, creator)).statusCode()).isEqualTo(200);
    eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
  }

  @Test
  void aTaskOutOfRetriesFailsTheJobAndItsOtherTaskIsCancelled() {
    // five one-slot nodes: each round both tasks can always go to nodes where they have not failed yet
    List<TestNode.Stream> fleet = List.of(renderNode(1), renderNode(1), renderNode(1), renderNode(1), renderNode(1));
    UUID creator = funded();
    String jobId = submit(creator, "{\"frame_start\":1,\"frame_end\":2}").get("job_id").asText();
    for (int round = 0; round <= 3; round++) {
      int retries = round;
      eventually("round " + round + " dispatched", () -> taskStatuses(creator, jobId).equals(
          List.of("DISPATCHED", "DISPATCHED")) && job(creator, jobId).get("retry_count").asInt() == 2 * retries);
      clock.advance(Duration.ofMinutes(6)); // nobody starts: both attempts time out
      for (TestNode.Stream node : fleet) {
        JobsTesting.heartbeatRecorded(server, node, clock.instant());
      }
      JobsTesting.network(server).sweeper().sweep();
    }
    eventually("FAILED", () -> status(creator, jobId).equals("FAILED"));
    JsonNode job = job(creator, jobId);
    assertThat(job.get("error_code").asText()).isEqualTo("RETRIES_EXHAUSTED");
    assertThat(job.get("error_message").asText()).contains("gave up after 3 retries");
    assertThat(taskStatuses(creator, jobId)).containsExactlyInAnyOrder("FAILED", "CANCELLED");
    eventually("released", () -> ledger.holdStatus(UUID.fromString(jobId)) == HoldStatus.RELEASED);
    assertThat(ledger.balance(creator)).isEqualTo(1_000_000);
  }

  @Test
  void anotherUsersOrAMissingJobAnswers404() {
    TestNode.Stream node = renderNode(1);
    UUID owner = funded();
    String jobId = submit(owner, "{\"frame\":3}").get("job_id").asText();
    JobDispatch dispatch = node.dispatch();
    UUID stranger = funded();
    for (String path : List.of("/tasks", "/outputs")) {
      assertThat(get("/api/v1/jobs/" + jobId + path, stranger).statusCode()).isEqualTo(404);
      assertThat(get("/api/v1/jobs/" + UUID.randomUUID() + path, owner).statusCode()).isEqualTo(404);
      assertThat(get("/api/v1/jobs/not-a-job" + path, owner).statusCode()).isEqualTo(404);
      assertThat(get("/api/v1/jobs/" + jobId + path, owner).statusCode()).isEqualTo(200);
    }
    node.accept(dispatch);
    node.deliverAll(dispatch, RenderTasksTest::frameBytes);
    node.complete(dispatch);
    eventually("COMPLETED", () -> status(owner, jobId).equals("COMPLETED"));
    JsonNode result = Json.parse(get("/api/v1/jobs/" + jobId + "/result", owner).body());
    assertThat(Downloads.bytes(result.get("download_url").asText())).as("one output: the frame itself")
        .isEqualTo(frameBytes(3));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"frame_start\":5,\"frame_end\":4}                    | frame_end",
      "{\"frame_start\":1,\"frame_end\":4,\"frames_per_task\":0} | frames_per_task",
      "{\"frame_start\":1,\"frame_end\":10001}                | frame_end",
      "{\"frame_start\":1,\"frame_end\":4,\"frame_step\":0}      | frame_step",
      "{\"frame\":1.5}                                        | frame",
      "{\"engine\":\"OCTANE\"}                                 | engine",
      "{\"format\":\"GIF\"}                                    | format"})
  void badFramesEnginesAndFormatsAre422AndWriteNothing(String payload, String field) {
    UUID creator = funded();
    HttpResponse<String> response = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"render\",\"payload\":" + payload + "}", "Authorization", userBearer(server, creator));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    assertThat(Json.parse(response.body()).get("field").asText()).isEqualTo(field);
    assertThat(dsl().fetchCount(JOBS, JOBS.USER_ID.eq(creator))).isZero();
    assertThat(ledger.available(creator)).isEqualTo(1_000_000);
  }

  @Test
  void aJobOfAnyOtherTypeIsOneTaskWithoutFrames() {
    TestNode echo = TestNode.ready(server.channel(), "echo", List.of("echo"));
    TestNode.Stream stream = echo.connect(server.channel(), 1);
    streams.add(stream);
    stream.welcome();
    UUID creator = funded();
    HttpResponse<String> response = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"echo\",\"payload\":{\"frame_start\":1,\"frame_end\":9}}", "Authorization",
        userBearer(server, creator));
    String jobId = Json.parse(response.body()).get("job_id").asText();
    JobDispatch dispatch = stream.dispatch();
    assertThat(dispatch.getOutputsCount()).isZero();
    assertThat(dispatch.getFrameStart()).isZero();
    assertThat(dispatch.getTaskId()).isNotEmpty();
    JsonNode tasks = tasks(creator, jobId);
    assertThat(tasks.get("count").asInt()).isEqualTo(1);
    assertThat(tasks.get("tasks").get(0).get("frame_start").isNull()).isTrue();
    assertThat(tasks.get("tasks").get(0).get("id").asText()).isEqualTo(dispatch.getTaskId());
    stream.accept(dispatch);
    stream.complete(dispatch);
    eventually("COMPLETED", () -> status(creator, jobId).equals("COMPLETED"));
    assertThat(job(creator, jobId).get("result_ref").asText()).isEqualTo("results/" + jobId + "/"
        + dispatch.getAssignmentId());
  }

  // ---- helpers ----

  private TestNode.Stream renderNode(int slots) {
    TestNode node = TestNode.ready(server.channel(), "render-node", List.of("render"));
    TestNode.Stream stream = node.connect(server.channel(), slots);
    streams.add(stream);
    stream.welcome();
    return stream;
  }

  /** An output report handled as the node's stream would hand it over. */
  private static ReportOutcome report(TestNode.Stream node, UUID jobId, UUID assignmentId, OutputReport report) {
    return new TaskOutputs(server.controlPlane().database(), server.controlPlane().resultStore(), clock)
        .outputReady(node.node().id(), jobId, assignmentId, report);
  }

  private static UUID funded() {
    return ledger.fundedUser(1_000_000);
  }

  private static JsonNode submit(UUID creator, String payload) {
    return JobsTesting.submitRender(server, creator, payload);
  }

  private static HttpResponse<String> get(String path, UUID user) {
    return server.get(path, "Authorization", userBearer(server, user));
  }

  private static JsonNode job(UUID creator, String jobId) {
    return Json.parse(get("/api/v1/jobs/" + jobId, creator).body());
  }

  private static String status(UUID creator, String jobId) {
    return job(creator, jobId).get("status").asText();
  }

  private static JsonNode tasks(UUID creator, String jobId) {
    HttpResponse<String> response = get("/api/v1/jobs/" + jobId + "/tasks", creator);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body());
  }

  private static List<String> taskStatuses(UUID creator, String jobId) {
    List<String> statuses = new ArrayList<>();
    tasks(creator, jobId).get("tasks").forEach(task -> statuses.add(task.get("status").asText()));
    return statuses;
  }

  private static JsonNode task(JsonNode tasks, String taskId) {
    for (JsonNode task : tasks.get("tasks")) {
      if (task.get("id").asText().equals(taskId)) {
        return task;
      }
    }
    throw new AssertionError("no task " + taskId);
  }

  /** The frames listed as delivered. */
  private static List<Integer> outputs(UUID creator, String jobId) {
    List<Integer> frames = new ArrayList<>();
    Json.parse(get("/api/v1/jobs/" + jobId + "/outputs", creator).body()).get("outputs")
        .forEach(output -> frames.add(output.get("frame").asInt()));
    return frames;
  }

  /** Distinct bytes per frame, a few kilobytes. */
  private static byte[] frameBytes(int frame) {
    return ("frame " + frame + " ").repeat(500 + frame).getBytes(StandardCharsets.US_ASCII);
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
