package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DrainTest extends RunningAgentTestBase {

  @Test
  void shutdownStopsTakingJobsLetsRunningOnesFinishThenClosesTheStream() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("s1", "gated", null, store.uploadUrl("s1")).build());
    awaitPid("s1");
    awaitAccepted(stream, "s1");

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> fixture.agent().shutdown(Duration.ofSeconds(30)));

    Await.until(() -> heartbeats(stream).stream().anyMatch(h -> h.getHeartbeat().getFreeSlots() == 0), WAIT,
        "a heartbeat announcing no free slot");
    assertThat(getJson("/health").path("status").asText()).isEqualTo("draining");
    stream.dispatch(dispatch("s2", "echo", "{\"message\":\"too late\"}", store.uploadUrl("s2")).build());
    openGate("s1");

    assertCompleted(awaitResult(stream, "s1"));
    shutdown.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(fixture.agent().isStopped()).isTrue();
    assertThat(hasAccepted(stream, "s2")).as("no job is taken while draining").isFalse();
    Await.until(stream::endedByClient, WAIT, "the agent to half-close the stream");
    assertThat(fixture.configDir().resolve("run.json")).doesNotExist();
  }

  @Test
  void jobsThatOutlastTheGraceAreStoppedWithoutAReport() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("s3", "gated", null, store.uploadUrl("s3")).build());
    long pid = awaitPid("s3");

    long started = System.nanoTime();
    fixture.agent().shutdown(Duration.ofMillis(300));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
    Await.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), WAIT, "the job process to be killed");
    assertThat(hasResult(stream, "s3")).as("the server requeues it when the stream closes").isFalse();
    Await.until(stream::endedByClient, WAIT, "the stream to close");
  }

  @Test
  void shutdownWaitsWithinTheGraceForAResultThatNeverReachedTheServer() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("s4", "gated", null, store.uploadUrl("s4")).build());
    awaitPid("s4");
    server.rejectNextConnects(Integer.MAX_VALUE);
    first.drop(io.grpc.Status.UNAVAILABLE.withDescription("server down"));
    openGate("s4");
    Await.until(() -> store.result("s4").isPresent(), WAIT, "the upload while the server is down");

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> fixture.agent().shutdown(Duration.ofSeconds(30)));
    Await.until(() -> getJsonQuietly("/health").contains("draining"), WAIT, "draining");
    assertThat(shutdown).isNotDone();
    server.rejectNextConnects(0);

    FakeNodeStream second = server.awaitStream(1, WAIT);
    assertCompleted(awaitResult(second, "s4"));
    shutdown.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void aResultMerelyInDoubtDoesNotHoldUpShutdown() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("s5", "echo", "{}", store.uploadUrl("s5")).build());
    awaitResult(first, "s5");
    server.rejectNextConnects(Integer.MAX_VALUE);
    first.drop(io.grpc.Status.UNAVAILABLE.withDescription("server down"));
    Await.until(() -> !fixture.agent().connection().connected(), WAIT, "disconnected");

    long started = System.nanoTime();
    fixture.agent().shutdown(Duration.ofSeconds(30));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  private String getJsonQuietly(String path) {
    try {
      return getJson(path).toString();
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void serverDrainTakesNoNewJobOnThatStreamButTheAgentStaysAndReconnects() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    first.dispatch(dispatch("d1", "gated", null, store.uploadUrl("d1")).build());
    awaitPid("d1");

    first.drain("server shutting down", 30);
    first.dispatch(dispatch("d2", "echo", "{\"message\":\"no\"}", store.uploadUrl("d2")).build());
    openGate("d1");

    assertCompleted(awaitResult(first, "d1"));
    assertThat(hasAccepted(first, "d2")).isFalse();
    first.close();
    FakeNodeStream second = server.awaitStream(1, WAIT);
    second.dispatch(dispatch("d3", "echo", "{\"message\":\"yes\"}", store.uploadUrl("d3")).build());
    assertCompleted(awaitResult(second, "d3"));
    assertThat(fixture.agent().isStopped()).isFalse();
  }
}
