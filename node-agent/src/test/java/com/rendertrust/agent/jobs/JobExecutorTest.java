package com.rendertrust.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.plugins.EchoPlugin;
import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobPlugin;
import com.rendertrust.agent.plugins.PluginOutput;
import com.rendertrust.agent.plugins.PluginRegistry;
import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.PresignedStore;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugins that misbehave in-process: whatever they throw, the job ends FAILED and the executor goes on. */
class JobExecutorTest {

  @TempDir Path work;
  private PresignedStore store;
  private ScheduledExecutorService timer;
  private JobExecutor executor;
  private final Map<String, String> outcomes = new ConcurrentHashMap<>();

  private final JobReports reports = new JobReports() {
    @Override public void accepted(JobSpec job) {}

    @Override public void progress(JobSpec job, int percent, String message) {}

    @Override public void completed(JobSpec job, String resultRef, Duration runtime) {
      outcomes.put(job.jobId(), "COMPLETED " + resultRef);
    }

    @Override public void failed(JobSpec job, String errorMessage, String errorCode, Duration runtime) {
      outcomes.put(job.jobId(), "FAILED " + errorMessage);
    }

    @Override public void forget(JobSpec job) {
      outcomes.put(job.jobId(), "FORGOTTEN");
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
    HttpClient http = HttpClient.newHttpClient();
    executor = new JobExecutor(1, new PluginRegistry(List.of(new EchoPlugin(), crashing, recursing)), reports,
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

    Await.until(() -> outcomes.size() == 3, Duration.ofSeconds(10), "three outcomes");
    assertThat(outcomes.get("j1")).isEqualTo("FAILED plugin 'boom' crashed: IllegalStateException: kaput");
    assertThat(outcomes.get("j2")).isEqualTo("FAILED plugin 'deep' crashed: StackOverflowError");
    assertThat(outcomes.get("j3")).startsWith("COMPLETED http://127.0.0.1:");
  }

  @Test
  void aJobWhoseDeadlineHasPassedFailsWithoutRunning() {
    executor.submit(job("late", "echo", Optional.of(Instant.now().minusSeconds(5))));

    Await.until(() -> outcomes.containsKey("late"), Duration.ofSeconds(10), "an outcome");
    assertThat(outcomes.get("late")).isEqualTo("FAILED the job's deadline had passed before it could start");
    assertThat(store.result("late")).isEmpty();
  }

  private JobSpec job(String id, String type, Optional<Instant> deadline) {
    return new JobSpec(id, "asg-" + id, type, "", "{\"message\":\"" + id + "\"}", store.uploadUrl(id), deadline, Duration.ZERO);
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
