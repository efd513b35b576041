package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failures that heal and pay for what was delivered (issue 14), with the server and two agents as
 * separate processes: a command that fails on its first attempt completes on the other agent; a
 * render whose input is no .blend fails at once with INVALID_INPUT and costs nothing; a RUNNING
 * job is cancelled (the agent stops it) and costs nothing; a 4-frame render cancelled after its
 * first 2 frames were delivered costs exactly 2 frames. The ledger's invariants hold at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PricingAndRetriesIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_pricing";
  /** Fails once, on whichever agent runs it first (the marker is shared), then succeeds. */
  private static final String FLAKY_JOB = "e2e_flaky";
  /** Enough samples that each one-frame task renders for seconds, so the cancel lands between frames. */
  private static final int SAMPLES = 2048;

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private Rest rest;
  private DevClient client;
  private DevClient.User creator;
  private final List<AgentProcess> agents = new java.util.ArrayList<>();

  @BeforeAll
  void startServerAndTwoAgents() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("pricing-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    Map<String, String> environment = new HashMap<>(ServerProcess.withStripeAndFastTimings(stripe, WEBHOOK_SECRET));
    environment.put("RT_TASK_RETRY_BASE_SECONDS", "1");
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"), environment);
    server.start();
    rest = new Rest(server.baseUrl());
    client = new DevClient(rest, stripe, WEBHOOK_SECRET);
    DevClient.User operator = client.registerUser("operator");
    creator = client.registerUser("creator");

    Path marker = runDir.resolve("flaky-failed-once");
    List<String> flaky = List.of("sh", "-c",
        "if mkdir \"$1\" 2>/dev/null; then echo 'first attempt fails' >&2; exit 1; fi; cp \"$2\" \"$3\"",
        "e2e-flaky", marker.toString(), "{payload}", "{output}");
    for (String name : List.of("agent-one", "agent-two")) {
      boolean renders = name.equals("agent-one");
      AgentProcess agent = new AgentProcess(settings, processes, name, runDir.resolve(name), runDir.resolve(name + ".log"));
      agent.configure(Map.of("slots", 1, "commands",
          Map.of(FLAKY_JOB, flaky, AgentProcess.SLEEP_JOB, AgentProcess.SLEEP_COMMAND)));
      if (renders) {
        agent.environment(Map.of("RT_AGENT_BLENDER", blender()));
      }
      agent.register(server.baseUrl(), renders ? List.of(FLAKY_JOB, AgentProcess.SLEEP_JOB, "render")
          : List.of(FLAKY_JOB, AgentProcess.SLEEP_JOB), operator.accessToken());
      agent.run();
      agents.add(agent);
    }
    client.buyHundredCredits(creator);
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      for (AgentProcess agent : agents) {
        if (agent.isRunning()) {
          agent.stop();
        }
      }
      processes.close();
    }
    if (stripe != null) {
      stripe.close();
    }
  }

  @Test
  void failuresHealCancelsStopRunningWorkAndOnlyDeliveredFramesAreCharged() throws Exception {
    // 1. a command failing on its first attempt completes on the other agent: 2 attempts
    String flaky = client.submit(creator, Map.of("job_type", FLAKY_JOB, "payload", Map.of("n", 1)))
        .path("job_id").asText();
    JsonNode healed = client.awaitCompleted(creator, flaky);
    assertThat(healed.path("charged").asText()).isEqualTo("1.0000");
    JsonNode task = tasks(flaky).get(0);
    assertThat(task.path("attempts").asInt()).as("task %s", task).isEqualTo(2);
    assertThat(task.path("status").asText()).isEqualTo("COMPLETED");

    // 2. a render whose input is not a .blend fails after 1 attempt with INVALID_INPUT, charged 0
    String notBlend = upload("notes.blend", "this is not a blender file\n".getBytes(StandardCharsets.US_ASCII));
    String invalid = client.submit(creator, Map.of("job_type", "render", "input_id", notBlend,
        "payload", Map.of("frame", 1))).path("job_id").asText();
    JsonNode failed = client.awaitJob(creator, invalid, "ended", DevClient::terminal);
    assertThat(failed.path("status").asText()).as("job %s", failed).isEqualTo("FAILED");
    assertThat(failed.path("error_code").asText()).isEqualTo("INVALID_INPUT");
    assertThat(failed.path("charged").asText()).isEqualTo("0.0000");
    assertThat(tasks(invalid).get(0).path("attempts").asInt()).isEqualTo(1);

    // 3. a RUNNING job cancelled ends CANCELLED at once (the agent is told to stop), charged nothing
    String sleeper = client.submit(creator, Map.of("job_type", AgentProcess.SLEEP_JOB, "payload", Map.of("s", 300)))
        .path("job_id").asText();
    client.awaitJob(creator, sleeper, "RUNNING", job -> job.path("status").asText().equals("RUNNING"));
    Instant asked = Instant.now();
    JsonNode cancelled = rest.post("/api/v1/jobs/" + sleeper + "/cancel", creator.accessToken(), Map.of())
        .expect(200, "cancel running");
    assertThat(cancelled.path("status").asText()).isEqualTo("CANCELLED");
    JsonNode settled = client.awaitJob(creator, sleeper, "settled", job -> job.path("charged").asText().equals("0.0000"));
    assertThat(Duration.between(asked, Instant.now())).isLessThan(Duration.ofSeconds(10));
    assertThat(settled.path("status").asText()).isEqualTo("CANCELLED");
    rest.post("/api/v1/jobs/" + sleeper + "/cancel", creator.accessToken(), Map.of()).expect(400, "cancel again");

    // 4. a 4-frame render cancelled after 2 delivered frames charges exactly 2 frames
    String scene = upload("cube.blend", makeScene());
    String render = client.submit(creator, Map.of("job_type", "render", "input_id", scene,
        "payload", Map.of("frame_start", 1, "frame_end", 4, "frames_per_task", 1, "resolution_x", 64,
            "resolution_y", 48, "samples", SAMPLES, "engine", "CYCLES", "format", "PNG"))).path("job_id").asText();
    JsonNode[] last = new JsonNode[1];
    Await.until("2 frames delivered", Duration.ofMinutes(4), () -> {
      last[0] = rest.get("/api/v1/jobs/" + render, creator.accessToken()).expect(200, "job");
      return Optional.of(last[0]).filter(job -> job.path("frames_done").asInt() >= 2);
    }, () -> String.valueOf(last[0]));
    JsonNode partial = rest.post("/api/v1/jobs/" + render + "/cancel", creator.accessToken(), Map.of())
        .expect(200, "cancel render");
    assertThat(partial.path("status").asText()).isEqualTo("CANCELLED");
    assertThat(partial.path("frames_done").asInt()).as("job %s", partial).isEqualTo(2);
    assertThat(partial.path("charged").asText()).isEqualTo("20.0000");

    // 100 bought: 1 (flaky) + 0 + 0 + 20 (2 of 4 frames)
    client.awaitBalance(creator, "79.0000");
    assertThat(new DevDatabase(server.jdbcUrl()).ledgerViolations()).isEmpty();
  }

  // ---- helpers

  private JsonNode tasks(String jobId) {
    return rest.get("/api/v1/jobs/" + jobId + "/tasks", creator.accessToken()).expect(200, "tasks").path("tasks");
  }

  private String upload(String filename, byte[] bytes) throws Exception {
    JsonNode created = rest.post("/api/v1/uploads", creator.accessToken(), Map.of(
        "filename", filename, "size_bytes", bytes.length, "sha256", sha256(bytes),
        "content_type", "application/x-blender")).expect(201, "create upload");
    Map<String, String> headers = new HashMap<>();
    created.path("upload_headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
    Rest.Response put = rest.put(java.net.URI.create(created.path("upload_url").asText()), bytes, headers);
    assertThat(put.status()).as("PUT: %s", put.text()).isEqualTo(200);
    String id = created.path("upload").path("id").asText();
    rest.post("/api/v1/uploads/" + id + "/complete", creator.accessToken(), Map.of()).expect(200, "complete upload");
    return id;
  }

  /** A 64x48 Cycles scene of frames 1-4, made by Blender itself. */
  private byte[] makeScene() throws Exception {
    Path script = runDir.resolve("make_scene.py");
    Path scene = runDir.resolve("cube.blend");
    Files.writeString(script, String.join("\n",
        "import bpy, sys",
        "out = sys.argv[sys.argv.index('--') + 1]",
        "scene = bpy.context.scene",
        "scene.render.engine = 'CYCLES'",
        "scene.cycles.use_denoising = False",
        "scene.frame_start = 1",
        "scene.frame_end = 4",
        "bpy.ops.wm.save_as_mainfile(filepath=out)",
        ""));
    ManagedProcess make = processes.track(ManagedProcess.start("blender make scene",
        List.of(blender(), "-b", "--factory-startup", "--python", script.toString(), "--", scene.toString()),
        Map.of(), runDir, runDir.resolve("make-scene.log")));
    assertThat(make.awaitExit(Duration.ofMinutes(2))).as("blender:%n%s", make.tail(30)).isZero();
    return Files.readAllBytes(scene);
  }

  private static String blender() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, "blender");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError("no blender on PATH: install Debian's blender (apt-get install -y blender)");
  }

  private static String sha256(byte[] bytes) throws Exception {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
