package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The server-issued input URL of a dispatch: downloaded, checked against its SHA-256, handed to the plugin. */
class InputDownloadTest extends RunningAgentTestBase {

  @Test
  void anInputWithTheRightHashReachesThePlugin() throws Exception {
    byte[] scene = bytes(200_000, 1);
    store.putInput("uploads/u/scene.blend", scene);
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    // echo without a message returns its input file
    stream.dispatch(dispatch("job-in", "echo", null, store.uploadUrl("job-in"))
        .setInputUrl(store.inputUrl("uploads/u/scene.blend")).setInputSha256(sha256(scene)).build());

    assertCompleted(awaitResult(stream, "job-in"));
    assertThat(store.result("job-in").orElseThrow()).isEqualTo(scene);
  }

  @Test
  void anInputWithAnotherHashFailsTheJobWithInputUnavailable() throws Exception {
    byte[] scene = bytes(1000, 2);
    store.putInput("scene.blend", scene);
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-bad", "echo", null, store.uploadUrl("job-bad"))
        .setInputUrl(store.inputUrl("scene.blend")).setInputSha256(sha256(bytes(1000, 3))).build());

    JobResult result = awaitResult(stream, "job-bad");
    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).isEqualTo("INPUT_UNAVAILABLE");
    assertThat(result.getErrorMessage()).contains("SHA-256").contains(sha256(scene));
    assertThat(store.result("job-bad")).isEmpty();
  }

  @Test
  void anInputThatCannotBeDownloadedFailsTheJobWithInputUnavailable() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("job-gone", "echo", null, store.uploadUrl("job-gone"))
        .setInputUrl(store.inputUrl("missing.blend") + "?signature=secret").setInputSha256(sha256(new byte[1])).build());

    JobResult result = awaitResult(stream, "job-gone");
    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).isEqualTo("INPUT_UNAVAILABLE");
    assertThat(result.getErrorMessage()).contains("HTTP 404").doesNotContain("secret");
  }

  private static byte[] bytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
