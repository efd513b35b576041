package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.RunningJob;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent runs with reconnect delays of 50 ms doubling up to 400 ms (see AgentFixture). */
class ReconnectTest extends RunningAgentTestBase {

  @Test
  void aDroppedStreamIsReopenedWithGrowingDelaysAndTheRunningJobIsResumed() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("r1", "gated", "{\"keep\":\"going\"}", store.uploadUrl("r1")).build());
    awaitAccepted(first, "r1");
    awaitPid("r1");

    server.rejectNextConnects(3);
    Instant dropped = Instant.now();
    first.drop(Status.UNAVAILABLE.withDescription("server restarting"));
    FakeNodeStream second = server.awaitStream(1, WAIT);

    List<Instant> attempts = server.connectAttempts().subList(1, 5);
    // After the drop: ~50 ms, then rejected attempts wait ~100, ~200 and ~400 ms (each minus up to 25 % jitter).
    assertThat(Duration.between(dropped, attempts.get(0)).toMillis()).isGreaterThanOrEqualTo(35);
    assertThat(Duration.between(attempts.get(0), attempts.get(1)).toMillis()).isGreaterThanOrEqualTo(70);
    assertThat(Duration.between(attempts.get(1), attempts.get(2)).toMillis()).isGreaterThanOrEqualTo(145);
    assertThat(Duration.between(attempts.get(2), attempts.get(3)).toMillis()).isGreaterThanOrEqualTo(295);
    assertThat(second.hello.getRunningList())
        .containsExactly(RunningJob.newBuilder().setJobId("r1").setAssignmentId("asg-r1").build());

    openGate("r1");
    assertCompleted(awaitResult(second, "r1"));
    assertThat(new String(store.result("r1").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("{\"keep\":\"going\"}");
    assertThat(getJson("/health").path("relay_connected").asBoolean()).isTrue();
  }

  @Test
  void aResultFinishedWhileDisconnectedIsDeliveredOnTheNextStream() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("r2", "gated", null, store.uploadUrl("r2")).build());
    awaitAccepted(first, "r2");
    awaitPid("r2");

    server.rejectNextConnects(Integer.MAX_VALUE);
    first.drop(Status.UNAVAILABLE.withDescription("network down"));
    Await.until(() -> !fixture.agent().connection().connected(), WAIT, "the agent to notice");
    assertThat(getJson("/health").path("relay_connected").asBoolean()).isFalse();
    openGate("r2");
    Await.until(() -> store.result("r2").isPresent(), WAIT, "the upload while offline");
    Await.until(() -> getJsonQuietly("/status").contains("\"jobs\":[]"), WAIT, "the job to finish");

    server.rejectNextConnects(0);
    FakeNodeStream second = server.awaitStream(1, WAIT);

    assertThat(second.hello.getRunningList()).extracting(RunningJob::getJobId).containsExactly("r2");
    assertCompleted(awaitResult(second, "r2"));
  }

  @Test
  void aResultSentJustBeforeTheStreamBrokeIsSentAgainAndDroppedWhenTheServerHadIt() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("r3", "echo", "{\"message\":\"once\"}", store.uploadUrl("r3")).build());
    awaitResult(first, "r3");

    first.drop(Status.UNAVAILABLE.withDescription("connection reset"));
    FakeNodeStream second = server.awaitStream(1, WAIT);

    // The server cannot have acknowledged it (the contract has none): the job is listed and its result resent.
    assertThat(second.hello.getRunningList()).extracting(RunningJob::getJobId).containsExactly("r3");
    assertCompleted(awaitResult(second, "r3"));
    // The server already had it: it answers with CancelJob, and the agent forgets the job.
    second.cancel("r3", "asg-r3", "job already completed");
    Await.until(() -> getJsonQuietly("/status").contains("\"jobs\":[]"), WAIT, "nothing held");
    second.drop(Status.UNAVAILABLE);
    FakeNodeStream third = server.awaitStream(2, WAIT);
    assertThat(third.hello.getRunningList()).isEmpty();
  }

  @Test
  void aServerThatIsDownAtStartIsRetriedUntilItAnswers() throws Exception {
    server.rejectNextConnects(2);
    fixture.start();

    FakeNodeStream stream = server.awaitStream(0, WAIT);

    assertThat(server.connectAttempts()).hasSize(3);
    assertThat(stream.hello.getCapabilitiesList()).contains("echo");
    Await.until(() -> fixture.agent().connection().connected(), WAIT, "the agent to take the Welcome");
  }

  /**
   * gRPC's channel keeps its own reconnect backoff (growing towards 2 minutes) while the server
   * refuses connections; the agent resets it, so a server back after a long restart is reached
   * within the agent's own delay (here at most 400 ms), not at the channel's next attempt.
   */
  @Test
  void aServerBackFromALongRestartIsReachedWithinTheAgentsOwnDelay() throws Exception {
    fixture.start();
    server.awaitStream(0, WAIT);

    server.restartAfter(Duration.ofSeconds(10));
    Instant back = Instant.now();

    FakeNodeStream stream = server.awaitStream(1, WAIT);
    assertThat(Duration.between(back, stream.openedAt)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aNewerStreamForTheSameNodeReplacesTheOldOneAndTheAgentKeepsOne() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.drop(Status.ABORTED.withDescription("replaced by a newer stream"));

    FakeNodeStream second = server.awaitStream(1, WAIT);
    second.dispatch(dispatch("r4", "echo", "{\"message\":\"after replace\"}", store.uploadUrl("r4")).build());

    assertCompleted(awaitResult(second, "r4"));
    assertThat(server.streams().stream().filter(s -> !s.ended())).hasSize(1);
  }

  private String getJsonQuietly(String path) {
    try {
      return getJson(path).toString();
    } catch (Exception e) {
      return "";
    }
  }
}
