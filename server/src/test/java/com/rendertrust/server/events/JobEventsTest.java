package com.rendertrust.server.events;

import static com.rendertrust.server.events.EventTesting.assertGapless;
import static com.rendertrust.server.events.EventTesting.submitEcho;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.events.EventTesting.SseEvent;
import com.rendertrust.server.jobs.JobEvents;
import com.rendertrust.server.jobs.JobStatus;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A job's events over SSE, JSON and gRPC on one replica; bad input; the cursor read API. */
class JobEventsTest {

  private static final List<String> LIFE = List.of("job.created", "task.dispatched", "task.started", "task.progress",
      "task.completed", "job.completed");

  private static TestServer server;
  private static TestNode.Stream node;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    node = JobsTesting.readyNode(server, "echo", 4);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      assertGapless(server);
      JobsTesting.closeStreams(server, List.of(node));
      server.close();
    }
  }

  @Test
  void anSseClientSeesTheWholeLifeOfAJobThenTheStreamClosesAndResumesWithoutAGap() {
    UUID user = UUID.randomUUID();
    String bearer = userBearer(server, user);
    String jobId = submitEcho(server, user);
    EventTesting.Sse live = EventTesting.sse(server, jobId, "Authorization", bearer);
    assertThat(live.status()).isEqualTo(200);
    assertThat(live.next().event()).isEqualTo("job.created");

    JobDispatch dispatch = node.dispatch();
    node.accept(dispatch);
    node.progress(dispatch, 50);
    eventually("progress shows on the job", () -> Json.parse(server.get("/api/v1/jobs/" + jobId,
        "Authorization", bearer).body()).get("node_progress").asDouble() == 0.5);
    JsonNode running = Json.parse(server.get("/api/v1/jobs/" + jobId, "Authorization", bearer).body());
    assertThat(running.get("progress").asDouble()).isEqualTo(0.5);
    node.complete(dispatch);

    List<SseEvent> rest = live.untilClosed(); // the stream closes after job.completed
    assertThat(rest).extracting(SseEvent::event).containsExactlyElementsOf(LIFE.subList(1, LIFE.size()));
    assertThat(rest).extracting(SseEvent::id).containsExactly("2", "3", "4", "5", "6");
    SseEvent progress = rest.get(2);
    assertThat(progress.data().get("progress").asDouble()).isEqualTo(0.5);
    assertThat(progress.data().get("task_id").asText()).isNotEmpty();
    assertThat(progress.data().get("node_id").asText()).isEqualTo(node.node().id().toString());
    assertThat(progress.data().get("job_id").asText()).isEqualTo(jobId);
    assertThat(progress.data().get("error_code").isNull()).isTrue();

    // resume after seq 3: exactly 4..6, then closed
    List<SseEvent> resumed = EventTesting.sse(server, jobId, "Authorization", bearer, "Last-Event-ID", "3")
        .untilClosed();
    assertThat(resumed).extracting(SseEvent::id).containsExactly("4", "5", "6");
    // without Last-Event-ID an ended job replays from seq 1
    assertThat(EventTesting.sse(server, jobId, "Authorization", bearer).untilClosed())
        .extracting(SseEvent::event).containsExactlyElementsOf(LIFE);

    // the JSON form of the same path
    JsonNode all = Json.parse(server.get("/api/v1/jobs/" + jobId + "/events", "Authorization", bearer).body());
    assertThat(all.get("count").asInt()).isEqualTo(6);
    assertThat(all.get("events").get(5).get("type").asText()).isEqualTo("job.completed");
    JsonNode after = Json.parse(server.get("/api/v1/jobs/" + jobId + "/events?after_seq=4", "Authorization", bearer)
        .body());
    assertThat(after.get("count").asInt()).isEqualTo(2);
    assertThat(after.get("events").get(0).get("seq").asLong()).isEqualTo(5);
  }

  @Test
  void watchJobReplaysThenStreamsLiveWithoutGapOrDuplicateAndEndsAfterATerminalEvent() {
    UUID user = UUID.randomUUID();
    String jobId = submitEcho(server, user);
    JobDispatch dispatch = node.dispatch();
    node.accept(dispatch);
    eventually("started", () -> server.get("/api/v1/jobs/" + jobId + "/events", "Authorization",
        userBearer(server, user)).body().contains("task.started"));

    EventTesting.Watcher fromStart = EventTesting.watch(server, user, WatchJobRequest.newBuilder().setJobId(jobId).build());
    EventTesting.Watcher fromTwo = EventTesting.watch(server, user,
        WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(2).build());
    assertThat(fromStart.nextTypes(3)).containsExactly("job.created", "task.dispatched", "task.started");
    assertThat(fromTwo.next().getSeq()).isEqualTo(3);
    // INVALID_INPUT fails the job at once (any other code is retried: task.retrying)
    node.fail(dispatch, "not a scene", "INVALID_INPUT");

    assertThat(fromStart.nextTypes(2)).containsExactly("task.failed", "job.failed");
    assertThat(fromStart.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
    assertThat(fromStart.events()).isEmpty();
    var failed = fromTwo.next();
    assertThat(failed.getSeq()).isEqualTo(4);
    assertThat(failed.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(fromTwo.next().getType()).isEqualTo("job.failed");
    assertThat(fromTwo.awaitEnd().getCode()).isEqualTo(Status.Code.OK);

    // a watch of an ended job replays and ends at once
    EventTesting.Watcher late = EventTesting.watch(server, user,
        WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(4).build());
    assertThat(late.next().getType()).isEqualTo("job.failed");
    assertThat(late.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void aCancelledJobEndsItsWatch() {
    UUID user = UUID.randomUUID();
    String bearer = userBearer(server, user);
    String jobId = submitEcho(server, user);
    assertThat(node.dispatch().getJobId()).isEqualTo(jobId);
    EventTesting.Watcher watcher = EventTesting.watch(server, user, WatchJobRequest.newBuilder().setJobId(jobId).build());
    assertThat(watcher.nextTypes(2)).containsExactly("job.created", "task.dispatched");
    assertThat(server.postJson("/api/v1/jobs/" + jobId + "/cancel", "", "Authorization", bearer).statusCode())
        .isEqualTo(200);
    var cancelled = watcher.next();
    assertThat(cancelled.getType()).isEqualTo("job.cancelled");
    assertThat(cancelled.getSeq()).isEqualTo(3);
    assertThat(cancelled.getStatus()).isEqualTo("CANCELLED");
    assertThat(watcher.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
    assertThat(node.cancel().getCancel().getJobId()).isEqualTo(jobId);
  }

  @Test
  void watchJobsStreamsTheEventsOfEveryJobOfTheCallerAndNoOneElse() {
    UUID user = UUID.randomUUID();
    UUID stranger = UUID.randomUUID();
    String first = submitEcho(server, user);
    complete(first);
    eventually("first completed", () -> server.get("/api/v1/jobs/" + first + "/events", "Authorization",
        userBearer(server, user)).body().contains("job.completed"));
    EventTesting.Watcher all = EventTesting.watchAll(server, user,
        com.rendertrust.api.v1.WatchJobsRequest.newBuilder().setAfter(0).build());
    List<com.rendertrust.api.v1.JobEvent> replayed = List.of(all.next(), all.next(), all.next(), all.next(),
        all.next());
    assertThat(replayed).extracting(com.rendertrust.api.v1.JobEvent::getJobId).containsOnly(first);
    assertThat(replayed).extracting(com.rendertrust.api.v1.JobEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L);

    String foreign = submitEcho(server, stranger);
    complete(foreign);
    String second = submitEcho(server, user);
    complete(second);
    List<com.rendertrust.api.v1.JobEvent> live = List.of(all.next(), all.next(), all.next(), all.next(), all.next());
    assertThat(live).extracting(com.rendertrust.api.v1.JobEvent::getJobId).containsOnly(second);
    assertThat(live).extracting(com.rendertrust.api.v1.JobEvent::getType)
        .containsExactly("job.created", "task.dispatched", "task.started", "task.completed", "job.completed");
    assertThat(all.ended()).isNotDone();
    assertThat(EventTesting.watchAll(server, user,
        com.rendertrust.api.v1.WatchJobsRequest.newBuilder().setAfter(-1).build()).awaitEnd().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  /** The node runs the job it was just handed to completion. */
  private static void complete(String jobId) {
    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(jobId);
    node.accept(dispatch);
    node.complete(dispatch);
  }

  @Test
  void badInputGetsItsDocumentedCodeAndAnotherUsersJobIsNotFound() {
    UUID owner = UUID.randomUUID();
    UUID stranger = UUID.randomUUID();
    String jobId = submitEcho(server, owner);
    String ownerBearer = userBearer(server, owner);
    String strangerBearer = userBearer(server, stranger);

    assertThat(server.get("/api/v1/jobs/" + jobId + "/events?after_seq=-1", "Authorization", ownerBearer).statusCode())
        .isEqualTo(422);
    assertThat(server.get("/api/v1/jobs/" + jobId + "/events?limit=0", "Authorization", ownerBearer).statusCode())
        .isEqualTo(422);
    assertThat(server.get("/api/v1/jobs/" + jobId + "/events", "Authorization", strangerBearer).statusCode())
        .isEqualTo(404);
    assertThat(server.get("/api/v1/jobs/not-a-uuid/events", "Authorization", ownerBearer).statusCode())
        .isEqualTo(404);
    assertThat(server.get("/api/v1/jobs/" + jobId + "/events").statusCode()).isEqualTo(401);

    assertThat(EventTesting.sse(server, jobId, "Authorization", ownerBearer, "Last-Event-ID", "-1").status())
        .isEqualTo(422);
    assertThat(EventTesting.sse(server, jobId, "Authorization", ownerBearer, "Last-Event-ID", "abc").status())
        .isEqualTo(422);
    assertThat(EventTesting.sse(server, jobId, "Authorization", strangerBearer).status()).isEqualTo(404);
    assertThat(EventTesting.sse(server, jobId).status()).isEqualTo(401);

    assertThat(EventTesting.watch(server, stranger, WatchJobRequest.newBuilder().setJobId(jobId).build()).awaitEnd()
        .getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(EventTesting.watch(server, owner, WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(-1).build())
        .awaitEnd().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // nothing was written by the refusals: the job still has its creation events only
    JsonNode events = Json.parse(server.get("/api/v1/jobs/" + jobId + "/events", "Authorization", ownerBearer).body());
    assertThat(events.get("events").get(0).get("type").asText()).isEqualTo("job.created");
    complete(jobId);
  }

  @Test
  void eventsOfSeveralJobsRecordedTogetherAreNumberedPerJobInTheirOrderAndAMissingJobIsSkipped() {
    JobEventLog log = server.controlPlane().events().log();
    UUID first = UUID.fromString(submitEcho(server, UUID.randomUUID()));
    UUID second = UUID.fromString(submitEcho(server, UUID.randomUUID()));
    int firstBefore = log.forJob(first, 0, 100).size();
    int secondBefore = log.forJob(second, 0, 100).size();
    UUID missing = UUID.randomUUID();

    // as a queue pass records the dispatches of several jobs: one call, jobs interleaved
    server.controlPlane().database().dsl().transaction(cfg -> log.record(cfg.dsl(), List.of(
        JobEvents.Event.ofJob(JobEvents.Type.TASK_PROGRESS, first, JobStatus.DISPATCHED).withMessage("a"),
        JobEvents.Event.ofJob(JobEvents.Type.TASK_PROGRESS, second, JobStatus.DISPATCHED).withMessage("b"),
        JobEvents.Event.ofJob(JobEvents.Type.TASK_PROGRESS, missing, JobStatus.DISPATCHED).withMessage("x"),
        JobEvents.Event.ofJob(JobEvents.Type.TASK_PROGRESS, first, JobStatus.DISPATCHED).withMessage("c"))));

    List<StoredEvent> ofFirst = log.forJob(first, 0, 100);
    List<StoredEvent> ofSecond = log.forJob(second, 0, 100);
    assertThat(ofFirst).hasSize(firstBefore + 2);
    assertThat(ofSecond).hasSize(secondBefore + 1);
    assertThat(ofFirst.subList(firstBefore, ofFirst.size())).extracting(e -> e.message().orElseThrow(), StoredEvent::seq)
        .containsExactly(tuple("a", firstBefore + 1),
            tuple("c", firstBefore + 2));
    StoredEvent b = ofSecond.getLast();
    assertThat(b.message()).contains("b");
    assertThat(b.seq()).isEqualTo(secondBefore + 1);
    // ids follow the order of the call
    assertThat(ofFirst.get(firstBefore).id()).isLessThan(b.id());
    assertThat(b.id()).isLessThan(ofFirst.getLast().id());
    assertThat(log.forJob(missing, 0, 100)).isEmpty();
    complete(first.toString());
    complete(second.toString());
  }

  @Test
  void readAfterFollowsEveryEventWithACursorOnce() {
    JobEventLog log = server.controlPlane().events().log();
    long start = log.readAfter(0, 100_000).nextCursor();
    UUID user = UUID.randomUUID();
    String jobId = submitEcho(server, user);
    JobEventLog.EventBatch batch = log.readAfter(start, 1000);
    List<StoredEvent> mine = batch.events().stream().filter(e -> e.jobId().toString().equals(jobId)).toList();
    assertThat(mine).isNotEmpty();
    assertThat(mine.get(0).type()).isEqualTo("job.created");
    assertThat(mine.get(0).userId()).isEqualTo(user);
    assertThat(mine.get(0).toJson()).contains("\"job_id\":\"" + jobId + "\"");
    assertThat(batch.events()).isSortedAccordingTo(java.util.Comparator.comparingLong(StoredEvent::id));
    assertThat(batch.nextCursor()).isGreaterThanOrEqualTo(batch.events().get(batch.events().size() - 1).id());
    assertThat(log.readAfter(batch.nextCursor(), 1000).events())
        .noneMatch(e -> mine.stream().anyMatch(seen -> seen.id() == e.id()));
    complete(jobId);
    eventually("completed", () -> log.readAfter(batch.nextCursor(), 1000).events().stream()
        .anyMatch(e -> e.jobId().toString().equals(jobId) && e.type().equals("job.completed")));
  }

  @Test
  void readAfterOfReadsOnlyTheNamedOwnersAndItsCursorPassesTheOthers() {
    JobEventLog log = server.controlPlane().events().log();
    long start = log.readAfter(0, 100_000).nextCursor();
    UUID named = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    String namedJob = submitEcho(server, named);
    String otherJob = submitEcho(server, other);
    Duration wait = Duration.ofSeconds(1);
    JobEventLog.EventBatch batch = log.readAfterOf(Set.of(named), start, 1000, wait);
    assertThat(batch.events()).isNotEmpty().allMatch(e -> e.userId().equals(named))
        .anyMatch(e -> e.jobId().toString().equals(namedJob));
    long lastOfOther = log.readAfter(start, 1000).events().stream().filter(e -> e.userId().equals(other))
        .mapToLong(StoredEvent::id).max().orElseThrow();
    assertThat(batch.nextCursor()).as("past the other owner's events").isGreaterThanOrEqualTo(lastOfOther);
    assertThat(log.readAfterOf(Set.of(), start, 1000, wait).events()).as("no owner, no events").isEmpty();
    assertThat(log.readAfterOf(Set.of(named, other), start, 1, wait).events()).as("the limit counts read events")
        .hasSize(1);
    complete(namedJob);
    complete(otherJob);
  }
}
