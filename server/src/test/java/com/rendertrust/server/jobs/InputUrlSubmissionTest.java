package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 21, finding 2 through the API: a payload_ref a node would fetch from inside its own
 * network is refused with 422 and writes nothing, unless RT_ALLOW_PRIVATE_INPUT_URLS is set;
 * opaque references and public URLs reach the node unchanged.
 */
class InputUrlSubmissionTest {

  private static TestServer server;
  private static TestNode.Stream node;

  @RegisterExtension
  static final SharedServer shared = SharedServer.of(() -> JobsTesting.start(), started -> {
    server = started;
    node = readyEchoNode(server);
  });

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8081/status", "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:127.0.0.1]:8081/status", "http://localhost:8081/status", "http://0x7f000001/",
      "http://user@10.0.0.1/", "HTTPS://192.168.0.10/scene.blend"})
  void aPrivateInputUrlIs422AndWritesNothing(String url) {
    int jobs = jobCount(server);
    HttpResponse<String> response = submit(server, UUID.randomUUID(), url);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    JsonNode body = Json.parse(response.body());
    assertThat(body.get("detail").asText()).startsWith("payload_ref");
    assertThat(body.get("field").asText()).isEqualTo("payload_ref");
    assertThat(jobCount(server)).isEqualTo(jobs);
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://93.184.216.34/scene.blend", "s3://scenes/castle.blend", "castle.blend"})
  void publicUrlsAndOpaqueReferencesReachTheNodeUnchanged(String reference) {
    HttpResponse<String> response = submit(server, UUID.randomUUID(), reference);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String jobId = Json.parse(response.body()).get("job_id").asText();
    JobDispatch dispatch = node.next(f -> f.hasDispatch() && f.getDispatch().getJobId().equals(jobId)).getDispatch();
    assertThat(dispatch.getPayloadRef()).isEqualTo(reference);
    node.accept(dispatch);
    node.complete(dispatch);
  }

  @Test
  void theLabSettingAcceptsPrivateInputUrls() {
    try (TestServer lab = JobsTesting.start(JobsTesting.config(JobsTesting.fastJobs().withPrivateInputUrls(true)),
        java.time.Clock.systemUTC())) {
      TestNode.Stream labNode = readyEchoNode(lab);
      HttpResponse<String> response = submit(lab, UUID.randomUUID(), "http://127.0.0.1:9/input.bin");

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JobDispatch dispatch = labNode.dispatch();
      assertThat(dispatch.getJobId()).isEqualTo(Json.parse(response.body()).get("job_id").asText());
      assertThat(dispatch.getPayloadRef()).isEqualTo("http://127.0.0.1:9/input.bin");
    }
  }

  private static TestNode.Stream readyEchoNode(TestServer target) {
    TestNode.Stream stream = TestNode.ready(target.channel(), "echo-node", List.of("echo")).connect(target.channel(), 8);
    stream.welcome();
    return stream;
  }

  private static HttpResponse<String> submit(TestServer target, UUID user, String payloadRef) {
    return target.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"echo\",\"payload_ref\":\"" + payloadRef + "\"}",
        "Authorization", userBearer(target, user));
  }

  private static int jobCount(TestServer target) {
    return target.controlPlane().database().dsl().fetchCount(JOBS);
  }
}
