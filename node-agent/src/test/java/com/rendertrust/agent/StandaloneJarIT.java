package com.rendertrust.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.PresignedStore;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone jar an operator copies to a machine ({@code java -jar …-standalone.jar}): it
 * must carry everything, including grpc's service files (name resolvers, transports) merged by
 * the shade plugin. Runs after {@code package}, against the built jar.
 */
class StandaloneJarIT {

  @TempDir Path home;

  @Test
  void theStandaloneJarRegistersRunsAJobAndStopsOnSigterm() throws Exception {
    Path jar = Path.of(System.getProperty("agent.standalone.jar"));
    assertThat(jar).exists();
    Path configDir = home.resolve("agent");
    try (FakeControlPlane server = new FakeControlPlane(); PresignedStore store = new PresignedStore()) {
      Process register = start(jar, home.resolve("register.log"), "register", "--config-dir", configDir.toString(),
          "--server", server.url(), "--name", "jar-node", "--capabilities", "echo");
      assertThat(register.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(register.exitValue()).as(Files.readString(home.resolve("register.log"))).isZero();
      assertThat(server.nodes().get(0).verified).isTrue();

      Process status = start(jar, home.resolve("status.log"), "status", "--json", "--config-dir", configDir.toString());
      assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String statusOutput = Files.readString(home.resolve("status.log"));
      JsonNode report = new ObjectMapper().readTree(statusOutput.substring(statusOutput.indexOf('{')));
      assertThat(report.path("node_id").asText()).isEqualTo(server.nodes().get(0).nodeId);

      Process run = start(jar, home.resolve("run.log"), "run", "--config-dir", configDir.toString(), "--health-port", "0");
      try {
        FakeNodeStream stream = server.awaitStream(0, Duration.ofSeconds(60));
        stream.dispatch(FakeControlPlane.dispatch("jar-1", "echo", "{\"message\":\"standalone\"}", store.uploadUrl("jar-1")).build());
        ConnectRequest result = FakeControlPlane.awaitFrame(stream, ConnectRequest::hasResult, Duration.ofSeconds(30), "a result");
        assertThat(result.getResult().getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_COMPLETED);
        assertThat(new String(store.result("jar-1").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("standalone");

        run.destroy();
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isEqualTo(143);
        assertThat(Files.readString(home.resolve("run.log"))).contains("agent stopped");
      } finally {
        run.destroyForcibly();
      }
    }
  }

  private static Process start(Path jar, Path log, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("RT_AGENT_"));
    builder.environment().put("RT_AGENT_BLENDER", "off");
    return builder.start();
  }
}
