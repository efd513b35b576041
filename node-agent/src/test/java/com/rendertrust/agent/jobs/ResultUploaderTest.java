package com.rendertrust.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobStoppedException;
import com.rendertrust.agent.plugins.PluginFailure;
import com.rendertrust.agent.plugins.StopReason;
import com.rendertrust.agent.plugins.StopSignal;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store a result goes to is often the control plane itself: an upload must outlast a server
 * restart (connection refused for a while), and still end on a cancel or after its window.
 */
class ResultUploaderTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path workDir;

  @Test
  void aResultIsDeliveredOnceTheStoreThatWasDownComesBack() throws Exception {
    int port = freePort();
    Path result = Files.write(workDir.resolve("result.bin"), "finished work".getBytes(StandardCharsets.UTF_8));
    ResultUploader uploader = new ResultUploader(HTTP, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(30));
    JobContext context = context("http://127.0.0.1:" + port + "/blobs/r1?sig=secret", new StopSignal());

    CompletableFuture<String> upload = CompletableFuture.supplyAsync(() -> {
      try {
        return uploader.upload(result, context);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    // longer than the three quick attempts uploads used to get, like a restarting server
    Thread.sleep(1_500);
    assertThat(upload).isNotDone();
    AtomicReference<byte[]> received = new AtomicReference<>();
    HttpServer store = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    store.createContext("/", exchange -> {
      try (exchange) {
        received.set(exchange.getRequestBody().readAllBytes());
        exchange.sendResponseHeaders(200, -1);
      }
    });
    store.start();
    try {
      assertThat(upload.get(30, TimeUnit.SECONDS)).isEqualTo("http://127.0.0.1:" + port + "/blobs/r1");
      assertThat(new String(received.get(), StandardCharsets.UTF_8)).isEqualTo("finished work");
    } finally {
      store.stop(0);
    }
  }

  @Test
  void aStoreThatStaysDownFailsTheJobAtTheEndOfTheWindow() throws Exception {
    Path result = Files.write(workDir.resolve("result.bin"), new byte[] {1, 2, 3});
    ResultUploader uploader = new ResultUploader(HTTP, Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(400));
    JobContext context = context("http://127.0.0.1:" + freePort() + "/blobs/r2?sig=secret", new StopSignal());

    assertThatThrownBy(() -> uploader.upload(result, context))
        .isInstanceOf(PluginFailure.class)
        .hasMessageContaining("failed after")
        .hasMessageContaining("ConnectException")
        .hasMessageNotContaining("sig=");
  }

  @Test
  void aCancelEndsTheRetriesAtOnce() throws Exception {
    Path result = Files.write(workDir.resolve("result.bin"), new byte[] {1, 2, 3});
    ResultUploader uploader = new ResultUploader(HTTP, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(10));
    StopSignal stop = new StopSignal();
    JobContext context = context("http://127.0.0.1:" + freePort() + "/blobs/r3", stop);
    stop.bind(Thread.currentThread());
    CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> stop.request(StopReason.CANCELLED));

    long started = System.nanoTime();
    assertThatThrownBy(() -> uploader.upload(result, context))
        .isInstanceOfAny(JobStoppedException.class, InterruptedException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    stop.unbind();
    Thread.interrupted();
  }

  private JobContext context(String uploadUrl, StopSignal stop) {
    JobSpec spec = new JobSpec("job-1", "asg-1", "echo", "", "{}", uploadUrl, Optional.empty(), Duration.ZERO);
    return new JobContext(spec, workDir, Optional.empty(), Duration.ofMinutes(1), stop, (percent, message, framesDone) -> { });
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
