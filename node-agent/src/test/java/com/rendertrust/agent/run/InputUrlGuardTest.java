package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, finding 2 on the node: a user-chosen payload_ref is never fetched from the node's own
 * network (this agent's status endpoint, cloud metadata), while the inputs the server issues
 * itself (input_url) are trusted, even on localhost.
 */
class InputUrlGuardTest extends RunningAgentTestBase {

  private FakeNodeStream stream;

  @Test
  void aPayloadRefOnLoopbackFailsTheJobAsInvalidInputWithoutARequest() throws Exception {
    store.putInput("secret.txt", "the node's own secret".getBytes(StandardCharsets.UTF_8));
    JobResult result = echo("ssrf-1", job -> job.setPayloadRef(store.inputUrl("secret.txt")));

    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(result.getErrorMessage()).contains("payload_ref", "loopback", "RT_AGENT_ALLOW_PRIVATE_INPUTS");
    assertThat(store.inputRequests()).isEmpty();
    assertThat(store.result("ssrf-1")).isEmpty();
  }

  @Test
  void theAgentsOwnStatusEndpointIsNotReachableThroughPayloadRef() throws Exception {
    JobResult result = echo("ssrf-2",
        job -> job.setPayloadRef("http://127.0.0.1:" + fixture.agent().healthPort() + "/status"));

    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(store.result("ssrf-2")).isEmpty();
  }

  @Test
  void aHostNameThatResolvesToLoopbackIsRefused() throws Exception {
    store.putInput("scene.bin", new byte[] {1, 2, 3});
    // "localhost" is an ordinary name to the agent: it is refused for what it resolves to.
    JobResult result = echo("ssrf-3", job -> job.setPayloadRef(store.inputUrl("localhost", "scene.bin")));

    assertThat(result.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(result.getErrorMessage()).contains("host localhost", "loopback");
    assertThat(store.inputRequests()).isEmpty();
  }

  @Test
  void aServerIssuedInputUrlOnLocalhostIsFetched() throws Exception {
    byte[] input = "an upload the server presigned".getBytes(StandardCharsets.UTF_8);
    store.putInput("upload-7.bin", input);

    assertCompleted(echo("trusted-1", job -> job.setInputUrl(store.inputUrl("upload-7.bin"))));
    assertThat(store.result("trusted-1").orElseThrow()).isEqualTo(input);
  }

  @Test
  void aMissingServerIssuedInputIsInputUnavailable() throws Exception {
    JobResult result = echo("trusted-2",
        job -> job.setInputUrl(store.inputUrl("gone.bin") + "?X-Amz-Signature=secret"));

    assertThat(result.getErrorCode()).isEqualTo("INPUT_UNAVAILABLE");
    assertThat(result.getErrorMessage()).isEqualTo("could not download the input " + store.inputUrl("gone.bin") + ": HTTP 404");
  }

  @Test
  void theLabSettingAllowsPrivateInputsAndRedirectsAreResolvedAndCheckedAgain() throws Exception {
    byte[] input = "lab input".getBytes(StandardCharsets.UTF_8);
    store.putInput("real.bin", input);
    store.redirectInput("moved.bin", store.inputUrl("localhost", "real.bin"));
    store.redirectInput("to-file.bin", "file:///etc/passwd");
    fixture.environment().put("RT_AGENT_ALLOW_PRIVATE_INPUTS", "true");

    assertCompleted(echo("lab-1", job -> job.setPayloadRef(store.inputUrl("moved.bin"))));
    assertThat(store.result("lab-1").orElseThrow()).isEqualTo(input);
    assertThat(store.inputRequests()).containsExactly(
        "moved.bin Host: 127.0.0.1:" + port(), "real.bin Host: localhost:" + port());

    JobResult refused = echo("lab-2", job -> job.setPayloadRef(store.inputUrl("to-file.bin")));
    assertThat(refused.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(refused.getErrorMessage()).contains("only http and https");
  }

  /** Runs an echo job with the input {@code input} sets, starting the agent on first use. */
  private JobResult echo(String jobId, UnaryOperator<JobDispatch.Builder> input) throws Exception {
    if (stream == null) {
      fixture.start();
      stream = server.awaitStream(0, WAIT);
    }
    stream.dispatch(input.apply(dispatch(jobId, "echo", null, store.uploadUrl(jobId))).build());
    return awaitResult(stream, jobId);
  }

  private int port() {
    String url = store.inputUrl("x");
    return Integer.parseInt(url.substring("http://127.0.0.1:".length(), url.indexOf("/inputs/")));
  }
}
