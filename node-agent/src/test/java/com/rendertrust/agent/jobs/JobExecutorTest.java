package com.rendertrust.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.plugins.EchoPlugin;
import com.rendertrust.agent.plugins.CommandPlugin;
import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.ProcessRunner;
import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobPlugin;
import com.rendertrust.agent.plugins.PluginOutput;
import com.rendertrust.agent.plugins.PluginRegistry;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.PresignedStore;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor with in-process plugins: whatever they throw, the job ends FAILED with an error code
 * and the executor goes on; tasks are keyed by assignment; outputs go to their own targets.
 */
class JobExecutorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path work;
  private PresignedStore store;
  private ScheduledExecutorService timer;
  private JobExecutor executor;
  /** Outcome by assignment id. */
  private final Map<String, String> outcomes = new ConcurrentHashMap<>();
  private final List<OutputReport> ready = new CopyOnWriteArrayList<>();
  private final Set<String> released = ConcurrentHashMap.newKeySet();

  private final JobReports reports = new JobReports() {
    @Override public void accepted(JobSpec job) {}

    @Override public void progress(JobSpec job, int percent, String message, int framesDone) {}

    @Override public void outputReady(JobSpec job, OutputReport output) {
      ready.add(output);
    }

    @Override public void completed(JobSpec job, String resultRef, Duration runtime) {
      outcomes.put(job.assignmentId(), "COMPLETED " + resultRef);
    }

    @Override public void failed(JobSpec job, ErrorCode code, String errorMessage, Duration runtime) {
      outcomes.put(job.assignmentId(), "FAILED " + code + " " + errorMessage);
    }

    @Override public void forget(JobSpec job) {
      outcomes.put(job.assignmentId(), "FORGOTTEN");
    }
  };

  @BeforeEach
  void start() throws Exception {
    store = new PresignedStore();
    timer = Executors.newSingleThreadScheduledExecutor();
    JobPlugin crashing = plugin("boom", context -> {
      throw new IllegalStateException("kaput");
    });
    JobPlugin recursing = plugin("deep", context -> recurse(1));
    // Waits until the test releases its assignment, then echoes.
    JobPlugin held = plugin("held", context -> {
      while (!released.contains(context.job().assignmentId())) {
        context.checkStillWanted();
        Thread.sleep(10);
      }
      return new EchoPlugin().run(context);
    });
    // Writes "bytes of frame N" for the frames the payload's "write" lists, each handed over as an output.
    JobPlugin frames = plugin("frames", context -> {
      for (var frame : context.payload().get("write")) {
        Path file = context.workDir().resolve("frame_" + frame.asInt() + ".png");
        Files.writeString(file, "bytes of frame " + frame.asInt());
        context.outputWritten(frame.asInt(), file, "image/png");
      }
      return PluginOutput.deliveredPerOutput();
    });
    HttpClient http = HttpClient.newHttpClient();
    ProcessRunner runner = new ProcessRunner(Map.of());
    List<JobPlugin> commands = List.of(
        new CommandPlugin("exit65", List.of("sh", "-c", "exit 65"), runner),
        new CommandPlugin("exit66", List.of("sh", "-c", "exit 66"), runner),
        new CommandPlugin("exit137", List.of("sh", "-c", "exit 137"), runner),
        new CommandPlugin("exit1", List.of("sh", "-c", "exit 1"), runner),
        new CommandPlugin("named", List.of("sh", "-c", "echo ERROR_CODE INPUT_UNAVAILABLE; exit 3"), runner));
    List<JobPlugin> all = new java.util.ArrayList<>(List.of(new EchoPlugin(), crashing, recursing, held, frames));
    all.addAll(commands);
    executor = new JobExecutor(2, new PluginRegistry(all), reports,
        new InputFetcher(http, new PinnedDownload(false)), new ResultUploader(http, Duration.ofSeconds(5), Duration.ofMillis(10), Duration.ofSeconds(5)),
        new WorkDirs(work, false), Duration.ofMinutes(1), timer, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    executor.close();
    timer.shutdownNow();
    store.close();
  }

  @Test
  void aPluginThatThrowsIsReportedAsACrashAndTheNextJobRuns() {
    executor.submit(job("j1", "boom", Optional.empty()));
    executor.submit(job("j2", "deep", Optional.empty()));
    executor.submit(job("j3", "echo", Optional.empty()));

    Await.until(() -> outcomes.size() == 3, WAIT, "three outcomes");
    assertThat(outcomes.get("asg-j1")).isEqualTo("FAILED PLUGIN_ERROR plugin 'boom' crashed: IllegalStateException: kaput");
    assertThat(outcomes.get("asg-j2")).isEqualTo("FAILED PLUGIN_ERROR plugin 'deep' crashed: StackOverflowError");
    assertThat(outcomes.get("asg-j3")).startsWith("COMPLETED http://127.0.0.1:");
  }

  @Test
  void aFailingCommandReportsTheCodeItNamesOrItsExitStatusImplies() {
    for (String type : List.of("exit65", "exit66", "exit137", "exit1", "named")) {
      executor.submit(job(type, type, Optional.empty()));
    }
    Await.until(() -> outcomes.size() == 5, WAIT, "five outcomes");
    assertThat(outcomes.get("asg-exit65")).startsWith("FAILED INVALID_INPUT command 'sh' exited with status 65");
    assertThat(outcomes.get("asg-exit66")).startsWith("FAILED INPUT_UNAVAILABLE ");
    assertThat(outcomes.get("asg-exit137")).startsWith("FAILED OUT_OF_MEMORY ");
    assertThat(outcomes.get("asg-exit1")).startsWith("FAILED PLUGIN_ERROR ");
    assertThat(outcomes.get("asg-named")).startsWith("FAILED INPUT_UNAVAILABLE command 'sh' exited with status 3");
  }

  @Test
  void aJobWhoseDeadlineHasPassedFailsWithoutRunning() {
    executor.submit(job("late", "echo", Optional.of(Instant.now().minusSeconds(5))));

    Await.until(() -> outcomes.containsKey("asg-late"), WAIT, "an outcome");
    assertThat(outcomes.get("asg-late")).isEqualTo("FAILED TIMEOUT the job's deadline had passed before it could start");
    assertThat(store.result("late")).isEmpty();
  }

  @Test
  void twoTasksOfOneJobRunSideBySideAndACancelStopsOnlyItsOwnAssignment() {
    executor.submit(task("render-job", "t1", "asg-1", "held"));
    executor.submit(task("render-job", "t2", "asg-2", "held"));
    Await.until(() -> executor.runningCount() == 2, WAIT, "both tasks running");
    assertThat(executor.held()).containsExactlyInAnyOrder(
        new JobExecutor.HeldJob("render-job", "asg-1", "t1"), new JobExecutor.HeldJob("render-job", "asg-2", "t2"));

    assertThat(executor.cancel("render-job", "asg-1")).isTrue();
    Await.until(() -> executor.held().size() == 1, WAIT, "task 1 stopped");
    assertThat(outcomes.get("asg-1")).isEqualTo("FORGOTTEN");
    assertThat(executor.held()).extracting(JobExecutor.HeldJob::assignmentId).containsExactly("asg-2");

    released.add("asg-2");
    Await.until(() -> outcomes.containsKey("asg-2"), WAIT, "task 2 finished");
    assertThat(outcomes.get("asg-2")).startsWith("COMPLETED ");
    assertThat(store.result("asg-2")).isPresent();
  }

  @Test
  void aNewAssignmentOfTheSameTaskReplacesTheOldOneButADuplicateDispatchIsIgnored() {
    assertThat(executor.submit(task("render-job", "t1", "asg-old", "held"))).isTrue();
    Await.until(() -> executor.runningCount() == 1, WAIT, "the first assignment running");
    assertThat(executor.submit(task("render-job", "t1", "asg-old", "held"))).isFalse();

    assertThat(executor.submit(task("render-job", "t1", "asg-new", "held"))).isTrue();
    Await.until(() -> "FORGOTTEN".equals(outcomes.get("asg-old")), WAIT, "the old assignment stopped");
    released.add("asg-new");
    Await.until(() -> outcomes.containsKey("asg-new"), WAIT, "the new assignment finished");
    assertThat(outcomes.get("asg-new")).startsWith("COMPLETED ");
  }

  @Test
  void eachOutputGoesToItsOwnTargetWithItsHeadersAndIsReportedWithSizeAndHash() throws Exception {
    executor.submit(framesTask("asg-f", "{\"write\":[1,2]}"));

    Await.until(() -> outcomes.containsKey("asg-f"), WAIT, "an outcome");
    assertThat(outcomes.get("asg-f")).isEqualTo("COMPLETED ");
    assertThat(store.uploads()).hasSize(2);
    for (int frame = 1; frame <= 2; frame++) {
      byte[] bytes = ("bytes of frame " + frame).getBytes(StandardCharsets.UTF_8);
      PresignedStore.Upload upload = store.upload("f/frame_000" + frame + ".png").orElseThrow();
      assertThat(upload.body()).isEqualTo(bytes);
      assertThat(upload.headers()).containsEntry("content-type", "image/png").containsEntry("x-amz-meta-frame", "" + frame);
      assertThat(ready.get(frame - 1)).isEqualTo(new OutputReport(frame, "frame_000" + frame + ".png", bytes.length,
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), "image/png"));
    }
  }

  @Test
  void aTaskThatLeavesAnOutputUndeliveredFails() {
    executor.submit(framesTask("asg-g", "{\"write\":[2]}"));

    Await.until(() -> outcomes.containsKey("asg-g"), WAIT, "an outcome");
    assertThat(outcomes.get("asg-g"))
        .isEqualTo("FAILED PLUGIN_ERROR plugin 'frames' ended without delivering the outputs of frame(s) [1]");
    assertThat(ready).extracting(OutputReport::frame).containsExactly(2);
  }

  @Test
  void aRefusedOutputUploadFailsTheTask() {
    store.failNextUploads(1, 403);
    executor.submit(framesTask("asg-h", "{\"write\":[1,2]}"));

    Await.until(() -> outcomes.containsKey("asg-h"), WAIT, "an outcome");
    assertThat(outcomes.get("asg-h")).startsWith("FAILED PLUGIN_ERROR output frame_0001.png upload to "
        + store.uploadUrl("f/frame_0001.png").split("\\?")[0] + " was refused: HTTP 403");
    assertThat(ready).isEmpty();
  }

  private JobSpec job(String id, String type, Optional<Instant> deadline) {
    return new JobSpec(id, "asg-" + id, type, "", "{\"message\":\"" + id + "\"}", store.uploadUrl(id), deadline, Duration.ZERO);
  }

  private JobSpec task(String jobId, String taskId, String assignmentId, String type) {
    return new JobSpec(jobId, assignmentId, type, "", "{\"message\":\"" + assignmentId + "\"}", store.uploadUrl(assignmentId),
        Optional.empty(), Duration.ZERO, taskId, Optional.empty(), List.of(), "", "");
  }

  /** A task of frames 1 and 2, each with its own target. */
  private JobSpec framesTask(String assignmentId, String payload) {
    List<OutputTarget> targets = List.of(1, 2).stream().map(frame -> new OutputTarget(frame, "frame_000" + frame + ".png",
        store.uploadUrl("f/frame_000" + frame + ".png"), Map.of("content-type", "image/png", "x-amz-meta-frame", "" + frame)))
        .toList();
    return new JobSpec("job-f", assignmentId, "frames", "", payload, "", Optional.empty(), Duration.ZERO, "t1",
        Optional.of(new FrameRange(1, 2, 1)), targets, "", "");
  }

  private interface Body {
    PluginOutput run(JobContext context) throws Exception;
  }

  private static JobPlugin plugin(String type, Body body) {
    return new JobPlugin() {
      @Override public String jobType() {
        return type;
      }

      @Override public PluginOutput run(JobContext context) throws Exception {
        return body.run(context);
      }
    };
  }

  private static PluginOutput recurse(int depth) {
    if (depth < 0) {
      return null;
    }
    return recurse(depth + 1);
  }
}
