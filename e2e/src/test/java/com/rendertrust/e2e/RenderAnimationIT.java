package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The product's core, as a creator lives it: upload a scene of their own, render an animation
 * of it across the fleet, download the frames. Real processes throughout: the server as
 * {@code ./rendertrust dev} runs it, two agents from the standalone jar, and Debian's Blender,
 * which also makes the scene. One agent is killed in the middle of its task; that task is
 * rendered again by the other, and the creator still pays exactly for four frames.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RenderAnimationIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_render";
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);
  /**
   * Samples per frame: enough that a two-frame task renders for seconds on an idle machine, so
   * that an agent can be killed while its task runs; the scene itself is saved with 1 sample.
   */
  private static final int SAMPLES = 4096;
  /** Builds a 64x48 Cycles scene of frames 1-4 (the factory cube, turning) and saves it. */
  private static final String SCENE_SCRIPT = String.join("\n",
      "import bpy, sys",
      "out = sys.argv[sys.argv.index('--') + 1]",
      "scene = bpy.context.scene",
      "scene.render.engine = 'CYCLES'",
      "scene.cycles.samples = 1",
      "scene.cycles.use_denoising = False",
      "scene.render.resolution_x = 64",
      "scene.render.resolution_y = 48",
      "scene.frame_start = 1",
      "scene.frame_end = 4",
      "cube = bpy.data.objects['Cube']",
      "for frame, angle in ((1, 0.0), (4, 1.5)):",
      "    cube.rotation_euler[2] = angle",
      "    cube.keyframe_insert(data_path='rotation_euler', frame=frame)",
      "bpy.ops.wm.save_as_mainfile(filepath=out)",
      "");

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private Path runDir;
  private StripeStandIn stripe;
  private ServerProcess server;
  private Rest rest;
  private DevClient client;
  private DevClient.User creator;
  private String creatorToken;
  private UUID operatorId;
  private final Map<String, AgentProcess> agentsByNode = new HashMap<>();

  @BeforeAll
  void startServerAndTwoRenderNodes() throws Exception {
    E2eSettings settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("render-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    stripe = new StripeStandIn();
    server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"),
        ServerProcess.withStripeAndFastTimings(stripe, WEBHOOK_SECRET));
    server.start();
    rest = new Rest(server.baseUrl());
    client = new DevClient(rest, stripe, WEBHOOK_SECRET);

    DevClient.User operator = client.registerUser("operator");
    operatorId = operator.id();
    creator = client.registerUser("creator");
    creatorToken = creator.accessToken();
    for (String name : List.of("render-one", "render-two")) {
      AgentProcess agent = new AgentProcess(settings, processes, name, runDir.resolve(name), runDir.resolve(name + ".log"));
      agent.configure(Map.of("slots", 1));
      agent.environment(Map.of("RT_AGENT_BLENDER", blender()));
      agent.register(server.baseUrl(), List.of("render"), operator.accessToken());
      agent.run();
      agentsByNode.put(agent.nodeId(), agent);
    }
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (processes != null) {
      for (AgentProcess agent : agentsByNode.values()) {
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
  void anUploadedSceneRendersFourFramesAcrossTwoAgentsOneOfWhichIsKilledMidTask() throws Exception {
    client.buyHundredCredits(creator);
    String inputId = upload(makeScene());

    JsonNode submitted = rest.post("/api/v1/jobs/dispatch", creatorToken, Map.of(
        "job_type", "render",
        "input_id", inputId,
        "payload", Map.of("frame_start", 1, "frame_end", 4, "frames_per_task", 2, "resolution_x", 64,
            "resolution_y", 48, "samples", SAMPLES, "engine", "CYCLES", "format", "PNG")))
        .expect(200, "dispatch render");
    String jobId = submitted.path("job_id").asText();

    // both agents get a task: the job spreads over the fleet
    JsonNode running = awaitTasks(jobId, "both tasks on distinct nodes, one RUNNING", tasks -> {
      Set<String> nodes = new HashSet<>();
      boolean anyRunning = false;
      for (JsonNode task : tasks) {
        nodes.add(task.path("node_id").asText(""));
        anyRunning |= task.path("status").asText().equals("RUNNING");
      }
      return tasks.size() == 2 && nodes.equals(agentsByNode.keySet()) && anyRunning;
    });
    JsonNode killedTask = stream(running).filter(task -> task.path("status").asText().equals("RUNNING")).findFirst()
        .orElseThrow();
    String victimNode = killedTask.path("node_id").asText();
    agentsByNode.get(victimNode).kill();
    String survivorNode = agentsByNode.keySet().stream().filter(node -> !node.equals(victimNode)).findFirst().orElseThrow();

    JsonNode job = awaitJob(jobId);
    assertThat(job.path("status").asText()).as("job %s", job).isEqualTo("COMPLETED");
    assertThat(job.path("frames_total").asInt()).isEqualTo(4);
    assertThat(job.path("frames_done").asInt()).isEqualTo(4);
    assertThat(job.path("tasks_total").asInt()).isEqualTo(2);

    JsonNode tasks = rest.get("/api/v1/jobs/" + jobId + "/tasks", creatorToken).expect(200, "tasks").path("tasks");
    JsonNode rerun = stream(tasks).filter(task -> task.path("id").asText().equals(killedTask.path("id").asText()))
        .findFirst().orElseThrow();
    assertThat(rerun.path("node_id").asText()).as("the killed agent's task ran again on the other").isEqualTo(survivorNode);
    assertThat(rerun.path("attempts").asInt()).isEqualTo(2);
    assertThat(rerun.path("status").asText()).isEqualTo("COMPLETED");

    // every frame, one by one, as a 64x48 PNG
    JsonNode outputs = rest.get("/api/v1/jobs/" + jobId + "/outputs", creatorToken).expect(200, "outputs");
    assertThat(outputs.path("count").asInt()).isEqualTo(4);
    Map<String, byte[]> frames = new HashMap<>();
    for (JsonNode output : outputs.path("outputs")) {
      Rest.Response file = rest.fetch(URI.create(output.path("download_url").asText()));
      assertThat(file.status()).as("download of %s", output).isEqualTo(200);
      assertPng64x48(output.path("name").asText(), file.body());
      assertThat(sha256(file.body())).isEqualTo(output.path("sha256").asText());
      assertThat((long) file.body().length).isEqualTo(output.path("size_bytes").asLong());
      frames.put(output.path("name").asText(), file.body());
    }
    assertThat(stream(outputs.path("outputs")).map(output -> output.path("frame").asInt()).toList())
        .containsExactlyInAnyOrder(1, 2, 3, 4);

    // and all of them at once, as the ZIP /result serves for a job with several outputs
    JsonNode result = rest.get("/api/v1/jobs/" + jobId + "/result", creatorToken).expect(200, "result");
    Rest.Response zip = rest.fetch(URI.create(result.path("download_url").asText()));
    assertThat(zip.status()).isEqualTo(200);
    Map<String, byte[]> zipped = unzip(zip.body());
    assertThat(zipped.keySet()).containsExactlyInAnyOrderElementsOf(frames.keySet());
    zipped.forEach((name, bytes) -> assertThat(bytes).as("%s in the ZIP", name).isEqualTo(frames.get(name)));

    // 4 frames x 10 credits, charged once although one task ran twice
    client.awaitBalance(creator, "60.0000");
    DevDatabase database = new DevDatabase(server.jdbcUrl());
    assertThat(database.balance(operatorId, "OPERATOR_EARNINGS")).isEqualTo(28 * 10_000);
    assertThat(database.platformRevenue()).isEqualTo(12 * 10_000);
    assertThat(database.ledgerViolations()).isEmpty();
  }

  // ---- the creator's side

  /** Create, PUT with the headers the server asks for, complete: the upload is READY. */
  private String upload(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    JsonNode created = rest.post("/api/v1/uploads", creatorToken, Map.of(
        "filename", file.getFileName().toString(), "size_bytes", bytes.length, "sha256", sha256(bytes),
        "content_type", "application/x-blender")).expect(201, "create upload");
    Map<String, String> headers = new HashMap<>();
    created.path("upload_headers").fields().forEachRemaining(header -> headers.put(header.getKey(), header.getValue().asText()));
    Rest.Response put = rest.put(URI.create(created.path("upload_url").asText()), bytes, headers);
    assertThat(put.status()).as("PUT of the scene: %s", put.text()).isEqualTo(200);
    String uploadId = created.path("upload").path("id").asText();
    JsonNode completed = rest.post("/api/v1/uploads/" + uploadId + "/complete", creatorToken, Map.of())
        .expect(200, "complete upload");
    assertThat(completed.path("upload").path("status").asText()).isEqualTo("READY");
    return uploadId;
  }

  private JsonNode awaitTasks(String jobId, String what, Predicate<List<JsonNode>> condition) {
    JsonNode[] last = new JsonNode[1];
    return Await.until("job " + jobId + ": " + what, JOB_TIMEOUT, () -> {
      last[0] = rest.get("/api/v1/jobs/" + jobId + "/tasks", creatorToken).expect(200, "tasks").path("tasks");
      return Optional.of(last[0]).filter(tasks -> condition.test(stream(tasks).toList()));
    }, () -> String.valueOf(last[0]));
  }

  /** Longer than DevClient's wait: Blender renders both tasks, one of them twice. */
  private JsonNode awaitJob(String jobId) {
    JsonNode[] last = new JsonNode[1];
    return Await.until("job " + jobId + " ended", JOB_TIMEOUT, () -> {
      last[0] = rest.get("/api/v1/jobs/" + jobId, creatorToken).expect(200, "job");
      return Optional.of(last[0]).filter(DevClient::terminal);
    }, () -> String.valueOf(last[0]));
  }

  // ---- Blender, PNG, ZIP

  /** The scene, made by Blender itself from its factory startup. */
  private Path makeScene() throws Exception {
    Path script = runDir.resolve("make_scene.py");
    Path scene = runDir.resolve("turning-cube.blend");
    Files.writeString(script, SCENE_SCRIPT);
    ManagedProcess make = processes.track(ManagedProcess.start("blender make scene",
        List.of(blender(), "-b", "--factory-startup", "--python", script.toString(), "--", scene.toString()),
        Map.of(), runDir, runDir.resolve("make-scene.log")));
    int exit = make.awaitExit(Duration.ofMinutes(2));
    assertThat(exit).as("blender making the scene:%n%s", make.tail(30)).isZero();
    assertThat(scene).exists();
    return scene;
  }

  /** Debian's Blender, which `.ci/run` installs; a machine without it fails here, loudly. */
  private static String blender() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, "blender");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError("no blender on PATH: install Debian's blender (apt-get install -y blender), as .ci/run does");
  }

  private static void assertPng64x48(String name, byte[] png) {
    assertThat(png.length).as("%s size", name).isGreaterThan(24);
    assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).as("%s signature", name).isEqualTo("PNG");
    ByteBuffer header = ByteBuffer.wrap(png, 16, 8);
    assertThat(header.getInt()).as("%s width", name).isEqualTo(64);
    assertThat(header.getInt()).as("%s height", name).isEqualTo(48);
  }

  private static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        entries.put(entry.getName(), in.readAllBytes());
      }
    }
    return entries;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false);
  }
}
