package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.AgentMain;
import com.rendertrust.agent.testing.AgentFixture;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAndHealthTest extends RunningAgentTestBase {

  @Test
  void healthAnswersTheDocumentedJson() throws Exception {
    fixture.start();
    server.awaitStream(0, WAIT);
    Await.until(() -> fixture.agent().connection().connected(), WAIT, "connected");

    JsonNode health = getJson("/health");

    assertThat(fieldNames(health)).containsExactly("status", "relay_connected", "uptime_seconds", "running_jobs");
    assertThat(health.path("status").asText()).isEqualTo("healthy");
    assertThat(health.path("relay_connected").isBoolean()).isTrue();
    assertThat(health.path("relay_connected").asBoolean()).isTrue();
    assertThat(health.path("uptime_seconds").isNumber()).isTrue();
    assertThat(health.path("uptime_seconds").asDouble()).isGreaterThanOrEqualTo(0);
    assertThat(health.path("running_jobs").asInt()).isZero();
  }

  @Test
  void healthShowsTheRelayDownWhileDisconnectedAndRejectsOtherMethods() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    server.rejectNextConnects(Integer.MAX_VALUE);
    stream.drop(Status.UNAVAILABLE);

    Await.until(() -> !fixture.agent().connection().connected(), WAIT, "disconnected");
    assertThat(getJson("/health").path("relay_connected").asBoolean()).isFalse();
    assertThat(getJson("/health").path("status").asText()).isEqualTo("healthy");

    URI health = URI.create("http://127.0.0.1:" + fixture.agent().healthPort() + "/health");
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(health).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    HttpResponse<String> missing = http.send(HttpRequest.newBuilder(health.resolve("/nope")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"detail\"");
  }

  @Test
  void statusShowsIdentityConnectionAndRunningJobsOfTheRunningAgent() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("st1", "gated", null, store.uploadUrl("st1")).build());
    awaitPid("st1");
    String nodeId = server.nodes().get(0).nodeId;

    AgentFixture cli = new AgentFixture(fixture.configDir());
    int exit = cli.execute("status");

    assertThat(exit).isZero();
    assertThat(cli.out())
        .contains("node:         " + nodeId + " (\"test-node\")")
        .contains("server:       " + server.url())
        .contains("key:          SHA256:")
        .contains("rw-------")
        .contains("connection:   CONNECTED since")
        .contains("jobs:         1 running of 2 slot(s)")
        .contains("st1  gated  RUNNING");

    AgentFixture jsonCli = new AgentFixture(fixture.configDir());
    assertThat(jsonCli.execute("status", "--json")).isZero();
    JsonNode report = json.readTree(jsonCli.out());
    assertThat(report.path("registered").asBoolean()).isTrue();
    assertThat(report.path("node_id").asText()).isEqualTo(nodeId);
    assertThat(report.path("agent").path("running").asBoolean()).isTrue();
    assertThat(report.path("agent").path("state").path("connection").path("state").asText()).isEqualTo("CONNECTED");
    assertThat(report.path("agent").path("state").path("jobs").get(0).path("job_id").asText()).isEqualTo("st1");
  }

  @Test
  void statusWithoutARunningAgentShowsTheStoredIdentity() throws Exception {
    AgentFixture cli = new AgentFixture(fixture.configDir());

    assertThat(cli.execute("status")).isZero();

    assertThat(cli.out()).contains("node:         " + server.nodes().get(0).nodeId).contains("agent:        not running");
  }

  @Test
  void statusOfAnUnregisteredNodeSaysSoAndFails() {
    AgentFixture cli = new AgentFixture(home.resolve("elsewhere"));

    assertThat(cli.execute("status")).isEqualTo(AgentMain.FAILED);

    assertThat(cli.out()).contains("not registered");
  }

  @Test
  void aSecondAgentOnTheSameConfigDirIsRefused() throws Exception {
    fixture.start();
    server.awaitStream(0, WAIT);

    AgentFixture second = new AgentFixture(fixture.configDir());
    int exit = second.execute("run", "--health-port", "0");

    assertThat(exit).isEqualTo(AgentMain.FAILED);
    assertThat(second.err()).contains("another agent is already running with config dir");
  }

  @Test
  void runBeforeRegisterTellsTheOperatorWhatToDo() {
    AgentFixture fresh = new AgentFixture(home.resolve("fresh"));

    assertThat(fresh.execute("run", "--health-port", "0")).isEqualTo(AgentMain.FAILED);

    assertThat(fresh.err()).contains("not registered yet").contains("register --server URL --name NAME");
  }

  private static List<String> fieldNames(JsonNode node) {
    return node.properties().stream().map(java.util.Map.Entry::getKey).toList();
  }
}
