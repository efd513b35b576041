package com.rendertrust.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registered agent against the fake control plane and the fake presigned store, with three
 * operator commands: {@code copy} (cp input to output), {@code gated} (records its pid, then waits
 * until the test opens its gate file, then copies), {@code fail} (writes to stderr, exits 3).
 */
public abstract class RunningAgentTestBase {

  protected static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir protected Path home;
  protected FakeControlPlane server;
  protected PresignedStore store;
  protected AgentFixture fixture;
  protected Path gates;
  protected final ObjectMapper json = new ObjectMapper();
  protected final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void startFakes() throws Exception {
    server = new FakeControlPlane();
    store = new PresignedStore();
    gates = Files.createDirectories(home.resolve("gates"));
    fixture = new AgentFixture(home.resolve("agent"));
    fixture.environment().put("RT_AGENT_BLENDER", "off");
    String gates = this.gates.toString();
    fixture.configFile("""
        {
          "slots": 2,
          "commands": {
            "copy": ["cp", "{input}", "{output}"],
            "gated": ["sh", "-c", "echo $$ > \\"$0\\"; while [ ! -e \\"$1\\" ]; do sleep 0.02; done; cp \\"$2\\" \\"$3\\"",
                      "%s/{job_id}.pid", "%s/{job_id}.open", "{input}", "{output}"],
            "fail": ["sh", "-c", "echo boom >&2; exit 3"],
            "silent": ["true"],
            "missing": ["no-such-program-rendertrust"]
          }
        }
        """.formatted(gates, gates));
    int registered = fixture.register(server, "echo,cpu_benchmark,copy,gated,fail,silent,missing");
    if (registered != 0) {
      throw new AssertionError("register failed: " + fixture.err());
    }
  }

  @AfterEach
  void stopEverything() throws Exception {
    // Open every gate so no test process outlives the test.
    try (var files = Files.list(gates)) {
      for (Path pid : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
        openGate(pid.getFileName().toString().replace(".pid", ""));
      }
    }
    fixture.close();
    server.close();
    store.close();
  }

  protected void openGate(String jobId) throws IOException {
    Path gate = gates.resolve(jobId + ".open");
    if (!Files.exists(gate)) {
      Files.createFile(gate);
    }
  }

  protected long awaitPid(String jobId) {
    Path file = gates.resolve(jobId + ".pid");
    return Await.until(() -> {
      try {
        String text = Files.exists(file) ? Files.readString(file).strip() : "";
        return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
      } catch (IOException | NumberFormatException e) {
        return Optional.empty();
      }
    }, WAIT, "pid of job " + jobId);
  }

  protected static JobResult awaitResult(FakeNodeStream stream, String jobId) {
    return FakeControlPlane.awaitFrame(stream, f -> f.hasResult() && f.getResult().getJobId().equals(jobId), WAIT,
        "result of " + jobId).getResult();
  }

  protected static void awaitAccepted(FakeNodeStream stream, String jobId) {
    FakeControlPlane.awaitFrame(stream, f -> f.hasAccepted() && f.getAccepted().getJobId().equals(jobId), WAIT,
        "JobAccepted of " + jobId);
  }

  protected static boolean hasAccepted(FakeNodeStream stream, String jobId) {
    return stream.frames().stream().anyMatch(f -> f.hasAccepted() && f.getAccepted().getJobId().equals(jobId));
  }

  protected static boolean hasResult(FakeNodeStream stream, String jobId) {
    return stream.frames().stream().anyMatch(f -> f.hasResult() && f.getResult().getJobId().equals(jobId));
  }

  protected static List<ConnectRequest> heartbeats(FakeNodeStream stream) {
    return stream.frames().stream().filter(ConnectRequest::hasHeartbeat).toList();
  }

  protected static void assertCompleted(JobResult result) {
    if (result.getOutcome() != JobOutcome.JOB_OUTCOME_COMPLETED) {
      throw new AssertionError("expected COMPLETED but was " + result.getOutcome() + ": " + result.getErrorMessage());
    }
  }

  protected JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + fixture.agent().healthPort() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError(path + " answered " + response.statusCode());
    }
    return json.readTree(response.body());
  }
}
