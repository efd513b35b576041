package com.rendertrust.server.jobs;

import static com.rendertrust.server.testing.JobsTesting.awaitDispatchOn;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.JobsTesting.DispatchOn;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A queue pass locks no more queued tasks than there are free slots, so a task that no free node
 * would take (its type is offered only by busy nodes, or it failed on the only free node while
 * another exists) must not take the place of one behind it that the free node can run. The nodes
 * here send no heartbeats, so the queue pass after an ending is the only thing that fills them.
 */
class QueuePassTest {

  private static final long CREDIT = 10_000;
  private static JobLedger ledger;
  private static TestServer server;
  private final List<TestNode.Stream> streams = new ArrayList<>();

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConserved() {
    JobsTesting.closeStreams(server, streams);
    ledger.checkInvariants();
  }

  @Test
  void aTaskOnlyABusyNodeOffersDoesNotHoldTheFreeSlotFromATaskBehindIt() {
    TestNode.Stream laneA = quietNode("lane_a");
    TestNode.Stream laneB = quietNode("lane_b");
    UUID creator = ledger.fundedUser(10 * CREDIT);
    UUID a1 = submit(creator, "lane_a");
    UUID b1 = submit(creator, "lane_b");
    JobDispatch runningA = laneA.dispatch();
    JobDispatch runningB = laneB.dispatch();
    assertThat(List.of(runningA.getJobId(), runningB.getJobId())).containsExactly(a1.toString(), b1.toString());
    UUID b2 = submit(creator, "lane_b"); // first in the queue, but only the busy lane_b node offers it
    UUID a2 = submit(creator, "lane_a");
    assertThat(status(creator, b2)).isEqualTo("QUEUED");
    assertThat(status(creator, a2)).isEqualTo("QUEUED");

    finish(laneA, runningA); // one free slot, lane_a's: the pass must lock a2, not b2
    JobDispatch next = laneA.dispatch();
    assertThat(next.getJobId()).isEqualTo(a2.toString());
    finish(laneB, runningB);
    JobDispatch queuedB = laneB.dispatch();
    assertThat(queuedB.getJobId()).isEqualTo(b2.toString());
    finish(laneA, next);
    finish(laneB, queuedB);
    for (UUID job : List.of(a1, b1, a2, b2)) {
      eventually(job + " completed", () -> "COMPLETED".equals(status(creator, job)));
    }
  }

  @Test
  void aRetryAvoidingTheOnlyFreeNodeDoesNotHoldItFromATaskBehindIt() {
    TestNode.Stream a = quietNode("avoiding");
    TestNode.Stream b = quietNode("avoiding");
    UUID x = ledger.fundedUser(10 * CREDIT);
    UUID y = ledger.fundedUser(10 * CREDIT);
    UUID retried = submit(x, "avoiding");
    DispatchOn got = awaitDispatchOn(a, b);
    TestNode.Stream failing = got.node();
    TestNode.Stream other = failing == a ? b : a;
    JobDispatch firstAttempt = got.dispatch();
    UUID running = submit(y, "avoiding");
    JobDispatch onOther = other.dispatch();
    assertThat(onOther.getJobId()).isEqualTo(running.toString());
    UUID behind = submit(y, "avoiding");
    assertThat(status(y, behind)).isEqualTo("QUEUED");

    failing.accept(firstAttempt);
    failing.fail(firstAttempt, "exit status 1", "PLUGIN_ERROR");
    // x's retry ranks first (fair share: x runs nothing, y one task), but it avoids the free node
    // while the other exists: the free slot goes to y's task behind it
    JobDispatch next = failing.dispatch();
    assertThat(next.getJobId()).isEqualTo(behind.toString());
    finish(other, onOther);
    JobDispatch retry = other.dispatch();
    assertThat(retry.getJobId()).isEqualTo(retried.toString());
    assertThat(retry.getTaskId()).isEqualTo(firstAttempt.getTaskId());
    finish(failing, next);
    finish(other, retry);
    eventually("the retried job completed", () -> "COMPLETED".equals(status(x, retried)));
    for (UUID job : List.of(running, behind)) {
      eventually(job + " completed", () -> "COMPLETED".equals(status(y, job)));
    }
  }

  // ---- helpers ----

  /** A proven node offering {@code type} with one slot, connected, that sends no heartbeats. */
  private TestNode.Stream quietNode(String type) {
    TestNode.Stream stream = JobsTesting.quietNode(server, type, 1);
    streams.add(stream);
    return stream;
  }

  private static void finish(TestNode.Stream node, JobDispatch dispatch) {
    node.accept(dispatch);
    node.upload(dispatch, "ok".getBytes(StandardCharsets.US_ASCII));
    node.complete(dispatch);
  }

  private static UUID submit(UUID creator, String jobType) {
    return JobsTesting.submit(server, creator, "{\"job_type\":\"" + jobType + "\"}");
  }

  private static String status(UUID creator, UUID job) {
    return JobsTesting.getJob(server, creator, job).get("status").asText();
  }
}
