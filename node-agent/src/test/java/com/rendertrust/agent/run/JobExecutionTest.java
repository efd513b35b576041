package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.NodeHeartbeat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JobExecutionTest extends RunningAgentTestBase {

  @Test
  void connectsWithHelloThenHeartbeatsAtTheWelcomeInterval() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    Hello hello = stream.hello;
    assertThat(hello.getCapabilitiesList()).containsExactly("echo", "cpu_benchmark", "copy", "gated", "fail", "silent", "missing");
    assertThat(hello.getSlots()).isEqualTo(2);
    assertThat(hello.getAgentVersion()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(hello.getRunningList()).isEmpty();
    assertThat(hello.hasSignature()).as("the key was proven at registration").isFalse();

    // The fake's Welcome says 1 s: two heartbeats arrive within a few seconds.
    Await.until(() -> heartbeats(stream).size() >= 2, WAIT, "two heartbeats");
    NodeHeartbeat heartbeat = heartbeats(stream).get(0).getHeartbeat();
    assertThat(heartbeat.getFreeSlots()).isEqualTo(2);
    assertThat(heartbeat.getCurrentLoad()).isZero();
    assertThat(heartbeat.getMetadata().getFieldsMap()).containsKeys("running_jobs", "draining");
  }

  @Test
  void echoReturnsTheMessageAndUploadsItToThePresignedUrl() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-echo", "echo", "{\"message\":\"hello, render network ✓\"}", store.uploadUrl("job-echo")).build());
    JobResult result = awaitResult(stream, "job-echo");

    assertCompleted(result);
    assertThat(result.getAssignmentId()).isEqualTo("asg-job-echo");
    assertThat(result.getResultRef()).isEqualTo(store.uploadUrl("job-echo").substring(0, store.uploadUrl("job-echo").indexOf('?')));
    assertThat(result.getRuntimeMs()).isNotNegative();
    assertThat(new String(store.result("job-echo").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("hello, render network ✓");
    assertThat(store.uploads().get(0).contentType()).isEqualTo("application/octet-stream");
    List<ConnectRequest> frames = stream.frames().stream().filter(f -> !f.hasHeartbeat()).toList();
    assertThat(frames.get(0).hasAccepted()).as("JobAccepted comes first").isTrue();
    assertThat(frames.get(0).getAccepted().getAssignmentId()).isEqualTo("asg-job-echo");
  }

  @Test
  void echoWithoutMessageReturnsThePayloadAsSortedJsonWithIntegersKept() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-json", "echo", "{\"b\":3,\"a\":[true,\"x\",1.5],\"c\":null}", store.uploadUrl("job-json")).build());

    assertCompleted(awaitResult(stream, "job-json"));
    assertThat(new String(store.result("job-json").orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":[true,\"x\",1.5],\"b\":3,\"c\":null}");
  }

  @Test
  void echoWithAnEmptyPayloadReturnsAPayloadRefThatIsNoUrlAsItIs() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("ref-only", "echo", null, store.uploadUrl("ref-only"))
        .setPayloadRef("s3://scenes/castle.blend").build());
    stream.dispatch(dispatch("ref-empty-object", "echo", "{}", store.uploadUrl("ref-empty-object"))
        .setPayloadRef("hello from an earlier client").build());
    stream.dispatch(dispatch("ref-and-message", "echo", "{\"message\":\"the message wins\"}",
        store.uploadUrl("ref-and-message")).setPayloadRef("s3://scenes/castle.blend").build());
    stream.dispatch(dispatch("ref-and-payload", "echo", "{\"frame\":7}", store.uploadUrl("ref-and-payload"))
        .setPayloadRef("s3://scenes/castle.blend").build());
    stream.dispatch(dispatch("nothing", "echo", null, store.uploadUrl("nothing")).build());

    for (String job : List.of("ref-only", "ref-empty-object", "ref-and-message", "ref-and-payload", "nothing")) {
      assertCompleted(awaitResult(stream, job));
    }
    assertThat(resultText("ref-only")).isEqualTo("s3://scenes/castle.blend");
    assertThat(resultText("ref-empty-object")).isEqualTo("hello from an earlier client");
    assertThat(resultText("ref-and-message")).isEqualTo("the message wins");
    assertThat(resultText("ref-and-payload")).isEqualTo("{\"frame\":7}");
    assertThat(resultText("nothing")).isEqualTo("{}");
  }

  private String resultText(String jobId) {
    return new String(store.result(jobId).orElseThrow(), StandardCharsets.UTF_8);
  }

  @Test
  void aBinaryInputFromPayloadRefComesBackByteForByte() throws Exception {
    byte[] input = new byte[300_000];
    new Random(42).nextBytes(input);
    store.putInput("scene.bin", input);
    fixture.start("--allow-private-inputs"); // the store serves inputs on 127.0.0.1
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-bin", "echo", null, store.uploadUrl("job-bin")).setPayloadRef(store.inputUrl("scene.bin")).build());

    assertCompleted(awaitResult(stream, "job-bin"));
    assertThat(store.result("job-bin").orElseThrow()).isEqualTo(input);
  }

  @Test
  void cpuBenchmarkReportsProgressAndItsTimingAsJson() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-cpu", "cpu_benchmark", "{\"limit\":2000000}", store.uploadUrl("job-cpu")).build());
    JobResult result = awaitResult(stream, "job-cpu");

    assertCompleted(result);
    List<ConnectRequest> progress = stream.frames().stream().filter(ConnectRequest::hasProgress).toList();
    assertThat(progress).isNotEmpty();
    assertThat(progress).allSatisfy(p -> {
      assertThat(p.getProgress().getPercent()).isBetween(0, 100);
      assertThat(p.getProgress().getAssignmentId()).isEqualTo("asg-job-cpu");
    });
    JsonNode report = json.readTree(store.result("job-cpu").orElseThrow());
    assertThat(report.path("primes_found").asLong()).isEqualTo(148_933);
    assertThat(report.path("limit").asLong()).isEqualTo(2_000_000);
    assertThat(report.path("job_id").asText()).isEqualTo("job-cpu");
    assertThat(report.path("duration_ms").isIntegralNumber()).isTrue();
    assertThat(report.path("duration_seconds").isNumber()).isTrue();
  }

  @Test
  void cpuBenchmarkWithABadLimitFailsWithAClearMessage() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-cpu-bad", "cpu_benchmark", "{\"limit\":\"lots\"}", store.uploadUrl("job-cpu-bad")).build());
    JobResult result = awaitResult(stream, "job-cpu-bad");

    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorMessage()).isEqualTo("cpu_benchmark: limit must be an integer from 2 to 10000000, got \"lots\"");
    assertThat(store.result("job-cpu-bad")).isEmpty();
  }

  @Test
  void jobsRunInParallelUpToTheSlotCountAndTheRestWait() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    for (String id : List.of("p1", "p2", "p3")) {
      stream.dispatch(dispatch(id, "gated", "{\"n\":\"" + id + "\"}", store.uploadUrl(id)).build());
    }
    awaitPid("p1");
    awaitPid("p2");
    awaitAccepted(stream, "p1");
    awaitAccepted(stream, "p2");
    Await.until(() -> fixture.agent().status().get("jobs").toString().contains("QUEUED"), WAIT, "p3 queued");
    assertThat(hasAccepted(stream, "p3")).as("the third job waits for a slot").isFalse();
    assertThat(fixture.agent().status().get("running_jobs")).isEqualTo(2);
    Await.until(() -> heartbeats(stream).stream().anyMatch(h -> h.getHeartbeat().getFreeSlots() == 0
        && h.getHeartbeat().getCurrentLoad() == 1.0), WAIT, "a heartbeat with no free slot");

    openGate("p1");
    assertCompleted(awaitResult(stream, "p1"));
    awaitAccepted(stream, "p3");
    openGate("p2");
    openGate("p3");
    assertCompleted(awaitResult(stream, "p2"));
    assertCompleted(awaitResult(stream, "p3"));
    for (String id : List.of("p1", "p2", "p3")) {
      assertThat(new String(store.result(id).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":\"" + id + "\"}");
    }
  }

  @Test
  void cancelKillsThePluginProcessSendsNoResultAndFreesTheSlot() throws Exception {
    fixture.start("--slots", "1");
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("c1", "gated", null, store.uploadUrl("c1")).build());
    long pid = awaitPid("c1");
    awaitAccepted(stream, "c1");
    assertThat(ProcessHandle.of(pid)).isPresent();

    stream.cancel("c1", "asg-c1", "cancelled by user");

    Await.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), WAIT, "the plugin process to die");
    stream.dispatch(dispatch("c2", "echo", "{\"message\":\"next\"}", store.uploadUrl("c2")).build());
    assertCompleted(awaitResult(stream, "c2"));
    assertThat(hasResult(stream, "c1")).as("a cancelled job is not reported").isFalse();
    assertThat(store.result("c1")).isEmpty();
    // The result is reported before the directory is removed: wait for the removal.
    Await.until(() -> {
      try (var dirs = Files.list(fixture.configDir().resolve("work"))) {
        return dirs.findAny().isEmpty();
      } catch (java.io.IOException e) {
        return false;
      }
    }, WAIT, "the job work dirs to be removed");
  }

  @Test
  void aCancelForAnotherAssignmentIsIgnored() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("c3", "gated", null, store.uploadUrl("c3")).build());
    long pid = awaitPid("c3");

    stream.cancel("c3", "some-older-assignment", "stale");
    openGate("c3");

    assertCompleted(awaitResult(stream, "c3"));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void aJobPastItsTimeLimitIsKilledAndReportedFailed() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    long started = System.nanoTime();
    stream.dispatch(dispatch("t1", "gated", null, store.uploadUrl("t1")).setMaxRuntimeSeconds(1).build());
    long pid = awaitPid("t1");
    JobResult result = awaitResult(stream, "t1");

    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorMessage()).isEqualTo("the job exceeded its time limit of 1 s and was stopped");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
    Await.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), WAIT, "the timed-out process to die");
  }

  @Test
  void pluginFailuresAreReportedWithAClearErrorAndTheAgentGoesOn() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("f1", "fail", null, store.uploadUrl("f1")).build());
    stream.dispatch(dispatch("f2", "silent", null, store.uploadUrl("f2")).build());
    stream.dispatch(dispatch("f3", "missing", null, store.uploadUrl("f3")).build());
    stream.dispatch(dispatch("f4", "no_such_type", null, store.uploadUrl("f4")).build());

    assertThat(awaitResult(stream, "f1").getErrorMessage()).isEqualTo("command 'sh' exited with status 3; stderr: boom");
    assertThat(awaitResult(stream, "f2").getErrorMessage()).isEqualTo("command 'true' exited 0 but wrote no result to {output}");
    assertThat(awaitResult(stream, "f3").getErrorMessage()).startsWith("cannot start 'no-such-program-rendertrust': ");
    assertThat(awaitResult(stream, "f4").getErrorMessage()).isEqualTo("this node does not offer job type 'no_such_type'");
    for (String id : List.of("f1", "f2", "f3", "f4")) {
      assertThat(awaitResult(stream, id).getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    }
    stream.dispatch(dispatch("ok", "echo", "{\"message\":\"still here\"}", store.uploadUrl("ok")).build());
    assertCompleted(awaitResult(stream, "ok"));
  }

  @Test
  void payloadTextReachesACommandAsOneLiteralArgumentNeverThroughAShell() throws Exception {
    Path marker = home.resolve("injected");
    fixture.configFile("""
        {"slots": 1, "commands": {"quote": ["sh", "-c", "printf '%%s' \\"$0\\" > \\"$1\\"", "{payload_ref}", "{output}"]}}
        """.formatted());
    // Re-register is not needed: capabilities come from the run config.
    fixture.start("--capabilities", "quote");
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    String hostile = "x; touch " + marker + " $(touch " + marker + ") `touch " + marker + "`";

    stream.dispatch(dispatch("q1", "quote", null, store.uploadUrl("q1")).setPayloadRef(hostile).build());

    assertCompleted(awaitResult(stream, "q1"));
    assertThat(new String(store.result("q1").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo(hostile);
    assertThat(marker).doesNotExist();
  }

  @Test
  void aRefusedUploadFailsTheJobAndAServerErrorIsRetried() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    store.failNextUploads(1, 503);
    stream.dispatch(dispatch("u1", "echo", "{\"message\":\"retry me\"}", store.uploadUrl("u1")).build());
    assertCompleted(awaitResult(stream, "u1"));
    assertThat(new String(store.result("u1").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("retry me");

    store.failNextUploads(5, 403);
    stream.dispatch(dispatch("u2", "echo", "{\"message\":\"denied\"}", store.uploadUrl("u2")).build());
    JobResult refused = awaitResult(stream, "u2");
    assertThat(refused.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(refused.getErrorMessage()).startsWith("result upload to " + store.uploadUrl("u2").split("\\?")[0]
        + " was refused: HTTP 403").doesNotContain("sig=");
  }

  @Test
  void aDuplicateDispatchOfTheSameAssignmentRunsOnce() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("d1", "gated", null, store.uploadUrl("d1")).build());
    awaitPid("d1");
    stream.dispatch(dispatch("d1", "gated", null, store.uploadUrl("d1")).build());
    openGate("d1");
    awaitResult(stream, "d1");

    stream.dispatch(dispatch("d2", "echo", "{}", store.uploadUrl("d2")).build());
    awaitResult(stream, "d2");
    assertThat(stream.frames().stream().filter(f -> f.hasAccepted() && f.getAccepted().getJobId().equals("d1"))).hasSize(1);
    assertThat(stream.frames().stream().filter(f -> f.hasResult() && f.getResult().getJobId().equals("d1"))).hasSize(1);
  }

  @Test
  void aJobTypeTheOperatorDidNotOfferIsNeverRun() throws Exception {
    fixture.start("--capabilities", "echo");
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    assertThat(stream.hello.getCapabilitiesList()).containsExactly("echo");

    stream.dispatch(dispatch("n1", "cpu_benchmark", "{}", store.uploadUrl("n1")).build());

    JobResult result = awaitResult(stream, "n1");
    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorMessage()).isEqualTo("this node does not offer job type 'cpu_benchmark'");
  }

  @Test
  void jobDirectoriesLeftByAKilledAgentAreRemovedAtStartAndNothingElse() throws Exception {
    Path work = fixture.configDir().resolve("work");
    Files.createDirectories(work.resolve("rt-job-old-1234abcd"));
    Files.writeString(work.resolve("rt-job-old-1234abcd/output"), "stale");
    Files.createDirectories(work.resolve("operator-cache"));

    fixture.start();

    assertThat(work.resolve("rt-job-old-1234abcd")).doesNotExist();
    assertThat(work.resolve("operator-cache")).isDirectory();
  }

  @Test
  void theWorkDirHoldsTheInlinePayloadForCommands() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("w1", "copy", "{\"prompt\":\"a cat\",\"steps\":20}", store.uploadUrl("w1")).build());

    assertCompleted(awaitResult(stream, "w1"));
    JsonNode copied = json.readTree(store.result("w1").orElseThrow());
    assertThat(copied.path("prompt").asText()).isEqualTo("a cat");
    assertThat(copied.path("steps").isIntegralNumber()).isTrue();
    assertThat(copied.path("steps").asInt()).isEqualTo(20);
  }
}
