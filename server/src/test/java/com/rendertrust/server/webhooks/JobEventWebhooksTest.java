package com.rendertrust.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A job's own events through the real feed (the job events log, read behind its horizon by the
 * feed follower) to its owner's endpoint: the path the other webhook tests enter halfway.
 */
class JobEventWebhooksTest {

  @Test
  void aCompletedJobReachesItsOwnersEndpointAsJobCompletedWithTheJob() {
    ServerConfig config = JobsTesting.config(JobsTesting.fastJobs()).withWebhooks(WebhooksConfig.defaults()
        .allowingLocalReceivers().withRetryBase(Duration.ofMillis(200)).withPollInterval(Duration.ofMillis(100))
        .withRequestTimeout(Duration.ofSeconds(5)));
    try (TestServer server = TestServer.start(config);
         TestReceiver receiver = TestReceiver.start(0, attempt -> 200)) {
      TestNode.Stream node = JobsTesting.readyNode(server, "echo", 2);
      UUID owner = UUID.randomUUID();
      JsonNode created = WebhookDeliveryTest.createEndpoint(server, owner, receiver.url(), "[\"job.completed\"]");
      receiver.trust(created.get("secret").asText());
      String endpointId = created.get("endpoint").get("id").asText();

      UUID job = JobsTesting.submit(server, owner, "{\"job_type\":\"echo\"}");
      JobDispatch dispatch = node.dispatch();
      node.accept(dispatch);
      node.complete(dispatch);

      JsonNode delivery = WebhookDeliveryTest.awaitDelivery(server, owner, endpointId, "SUCCEEDED");
      assertThat(delivery.get("event_type").asText()).isEqualTo("job.completed");
      List<TestReceiver.Received> received = receiver.received();
      assertThat(received).hasSize(1).allMatch(TestReceiver.Received::verified);
      JsonNode body = Json.parse(received.getFirst().body());
      assertThat(body.get("type").asText()).isEqualTo("job.completed");
      assertThat(body.get("data").get("job").get("id").asText()).isEqualTo(job.toString());
      assertThat(body.get("data").get("job").get("status").asText()).isEqualTo("COMPLETED");
      JobsTesting.closeStreams(server, List.of(node));
    }
  }
}
