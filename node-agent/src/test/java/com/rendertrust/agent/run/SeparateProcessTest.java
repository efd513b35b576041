package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent as operators run it: its own JVM ({@code java -cp … AgentMain run --config-dir X}),
 * stopped with SIGTERM. This is also how an end-to-end test starts it next to a real server.
 */
class SeparateProcessTest extends RunningAgentTestBase {

  private Process process;

  @AfterEach
  void killLeftovers() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void runsInItsOwnJvmAndDrainsRunningJobsOnSigterm() throws Exception {
    Path log = home.resolve("agent.log");
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "com.rendertrust.agent.AgentMain", "run", "--config-dir", fixture.configDir().toString(),
        "--health-port", "0", "--drain-grace", "30", "--reconnect-initial-ms", "50")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("RT_AGENT_"));
    builder.environment().put("RT_AGENT_BLENDER", "off");
    process = builder.start();

    FakeNodeStream stream = server.awaitStream(0, Duration.ofSeconds(30));
    stream.dispatch(dispatch("sp1", "echo", "{\"message\":\"from another JVM\"}", store.uploadUrl("sp1")).build());
    assertCompleted(awaitResult(stream, "sp1"));
    assertThat(new String(store.result("sp1").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("from another JVM");

    JsonNode run = json.readTree(Files.readString(fixture.configDir().resolve("run.json")));
    assertThat(run.path("pid").asLong()).isEqualTo(process.pid());
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + run.path("health_port").asInt() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(json.readTree(health.body()).path("relay_connected").asBoolean()).isTrue();

    stream.dispatch(dispatch("sp2", "gated", "{\"long\":\"job\"}", store.uploadUrl("sp2")).build());
    awaitPid("sp2");
    awaitAccepted(stream, "sp2");

    process.destroy(); // SIGTERM

    Await.until(() -> heartbeats(stream).stream().anyMatch(h -> h.getHeartbeat().getFreeSlots() == 0), WAIT,
        "the draining heartbeat");
    assertThat(process.isAlive()).as("running jobs keep the agent alive").isTrue();
    openGate("sp2");
    assertCompleted(awaitResult(stream, "sp2"));
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(143);
    Await.until(stream::endedByClient, WAIT, "the stream half-closed by the agent");
    assertThat(new String(store.result("sp2").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("{\"long\":\"job\"}");
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).anyMatch(line -> line.contains("draining: 1 running job(s) may finish within 30 s"));
    assertThat(lines).anyMatch(line -> line.contains("agent stopped"));
    assertThat(fixture.configDir().resolve("run.json")).doesNotExist();
  }
}
