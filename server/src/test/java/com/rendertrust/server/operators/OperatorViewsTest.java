package com.rendertrust.server.operators;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's views over REST on the real server, ledger and node streams: an operator's node
 * completes a 1-credit job (cpu_benchmark), and the operator's earnings read 0.7000, per job and
 * node; its node list shows the completed task and what it earned. Also the creator's usage.
 */
class OperatorViewsTest {

  private static TestServer server;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void ledgerHolds() {
    ledger.checkInvariants();
  }

  @Test
  void anOperatorsNodeCompletesAOneCreditJobAndTheEarningsRead07() {
    UUID operator = UUID.randomUUID();
    UUID creator = ledger.fundedUser(100_000); // 10 credits
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "bench-1", List.of("cpu_benchmark"), userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 2);
    stream.welcome();
    stream.heartbeat(0.25);

    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"cpu_benchmark\"}",
        "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    String jobId = Json.parse(submitted.body()).get("job_id").asText();
    JobDispatch dispatch = stream.dispatch();
    stream.accept(dispatch);
    assertThat(stream.upload(dispatch, "{\"score\":1}".getBytes())).isEqualTo(200);
    stream.complete(dispatch);
    eventually("captured", () -> ledger.hold(UUID.fromString(jobId)).map(h -> h.status() == HoldStatus.CAPTURED)
        .orElse(false));

    JsonNode earnings = get("/api/v1/operator/earnings", operator);
    assertThat(earnings.get("balance").asText()).isEqualTo("0.7000");
    assertThat(earnings.get("total_earned").asText()).isEqualTo("0.7000");
    assertThat(earnings.get("paid_out").asText()).isEqualTo("0.0000");
    assertThat(earnings.get("count").asInt()).isEqualTo(1);
    JsonNode entry = earnings.get("entries").get(0);
    assertThat(entry.get("amount").asText()).isEqualTo("0.7000");
    assertThat(entry.get("job_id").asText()).isEqualTo(jobId);
    assertThat(entry.get("node_id").asText()).isEqualTo(node.id().toString());
    assertThat(Instant.parse(entry.get("created_at").asText())).isBefore(Instant.now().plusSeconds(1));

    eventually("heartbeat recorded", () -> !get("/api/v1/operator/nodes", operator).get("nodes").get(0)
        .get("last_heartbeat_at").isNull());
    JsonNode nodes = get("/api/v1/operator/nodes", operator);
    assertThat(nodes.get("count").asInt()).isEqualTo(1);
    JsonNode mine = nodes.get("nodes").get(0);
    assertThat(mine.get("id").asText()).isEqualTo(node.id().toString());
    assertThat(mine.get("name").asText()).isEqualTo("bench-1");
    assertThat(mine.get("status").asText()).isEqualTo("HEALTHY");
    assertThat(mine.get("capabilities").get(0).asText()).isEqualTo("cpu_benchmark");
    assertThat(mine.get("slots").asInt()).isEqualTo(2);
    assertThat(mine.get("active_jobs").asInt()).isZero();
    assertThat(mine.get("tasks_completed").asInt()).isEqualTo(1);
    assertThat(mine.get("earned").asText()).isEqualTo("0.7000");
    assertThat(Instant.parse(mine.get("last_heartbeat_at").asText())).isBefore(Instant.now().plusSeconds(1));

    // somebody else sees none of it
    UUID stranger = UUID.randomUUID();
    assertThat(get("/api/v1/operator/nodes", stranger).get("count").asInt()).isZero();
    JsonNode none = get("/api/v1/operator/earnings", stranger);
    assertThat(none.get("balance").asText()).isEqualTo("0.0000");
    assertThat(none.get("count").asInt()).isZero();

    // and the creator's usage today shows the credit spent
    JsonNode usage = get("/api/v1/credits/usage?days=7", creator);
    assertThat(usage.get("days")).hasSize(7);
    JsonNode today = usage.get("days").get(6);
    assertThat(today.get("date").asText()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
    assertThat(today.get("spent").asText()).isEqualTo("1.0000");
    assertThat(today.get("refunded").asText()).isEqualTo("0.0000");
    assertThat(usage.get("days").get(0).get("date").asText())
        .isEqualTo(LocalDate.now(ZoneOffset.UTC).minusDays(6).toString());
    assertThat(usage.get("days").get(0).get("spent").asText()).isEqualTo("0.0000");
    assertThat(usage.get("total_spent").asText()).isEqualTo("1.0000");
    stream.halfClose();
  }

  @Test
  void usageIsOneRowPerDayWithZerosAndRefusesDaysOutsideOneToNinety() {
    UUID user = UUID.randomUUID();
    JsonNode usage = get("/api/v1/credits/usage", user);
    assertThat(usage.get("days")).as("7 by default").hasSize(7);
    assertThat(usage.get("total_spent").asText()).isEqualTo("0.0000");
    assertThat(get("/api/v1/credits/usage?days=90", user).get("days")).hasSize(90);
    assertThat(get("/api/v1/credits/usage?days=1", user).get("days")).hasSize(1);
    for (String days : List.of("0", "91", "-1")) {
      HttpResponse<String> refused = server.get("/api/v1/credits/usage?days=" + days, "Authorization",
          userBearer(server, user));
      assertThat(refused.statusCode()).as(days).isEqualTo(422);
    }
  }

  @Test
  void earningsPagingIsValidated() {
    UUID user = UUID.randomUUID();
    for (String query : List.of("?limit=0", "?limit=201", "?offset=-1")) {
      HttpResponse<String> refused = server.get("/api/v1/operator/earnings" + query, "Authorization",
          userBearer(server, user));
      assertThat(refused.statusCode()).as(query).isEqualTo(422);
    }
    assertThat(server.get("/api/v1/operator/nodes").statusCode()).as("no credentials").isEqualTo(401);
  }

  private static JsonNode get(String path, UUID user) {
    HttpResponse<String> response = server.get(path, "Authorization", userBearer(server, user));
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return Json.parse(response.body());
  }
}
