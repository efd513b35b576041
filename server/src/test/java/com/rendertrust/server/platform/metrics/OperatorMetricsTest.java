package com.rendertrust.server.platform.metrics;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} of a running replica shows what an operator watches: the JVM, the connection
 * pool, the per-RPC histograms, the queue by type and priority, tasks and nodes by status, open
 * streams, and the dispatch latency of a task that waited in the queue.
 */
class OperatorMetricsTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aQueuedTaskShowsInTheQueueDepthAndLeavesItWhenANodeTakesIt() {
    UUID creator = UUID.randomUUID();
    TestNode.Stream stream = JobsTesting.readyNode(server, "echo", 1);
    JobDispatch first = submitAnd(creator, "normal", stream);
    HttpResponse<String> second = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\",\"priority\":\"high\"}",
        "Authorization", userBearer(server, creator));
    assertThat(second.statusCode()).as(second.body()).isEqualTo(200);

    Map<String, Double> queued = scrape();
    assertThat(queued).containsEntry("rt_jobs_queue_depth{job_type=\"echo\",priority=\"high\"}", 1.0);
    assertThat(queued.get("rt_jobs_tasks_by_status{status=\"QUEUED\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(queued.get("rt_jobs_tasks_by_status{status=\"DISPATCHED\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(queued).containsKey("rt_jobs_tasks_by_status{status=\"COMPLETED\"}");
    assertThat(queued).containsEntry("rt_nodes_open_streams", 1.0);
    assertThat(queued.get("rt_nodes_by_status{status=\"HEALTHY\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(queued).containsEntry("rt_jobs_dispatch_latency_seconds_count", 0.0);

    // the node's slot frees (a failure would be retried first): the queued task is dispatched from the queue
    stream.accept(first);
    assertThat(stream.upload(first, new byte[] {1})).isEqualTo(200);
    stream.complete(first);
    JobDispatch next = stream.dispatch();
    assertThat(next.getJobId()).isEqualTo(Json.parse(second.body()).get("job_id").asText());

    Map<String, Double> dispatched = scrape();
    assertThat(dispatched).doesNotContainKey("rt_jobs_queue_depth{job_type=\"echo\",priority=\"high\"}");
    assertThat(dispatched).containsEntry("rt_jobs_dispatch_latency_seconds_count", 1.0);
    JobsTesting.closeStreams(server, java.util.List.of(stream));
    eventually("stream gone", () -> value(scrape(), "rt_nodes_open_streams").orElse(-1) == 0.0);
  }

  private static JobDispatch submitAnd(UUID creator, String priority, TestNode.Stream stream) {
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"echo\",\"priority\":\"" + priority + "\"}", "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    return stream.dispatch();
  }

  @Test
  void theJvmThePoolAndEveryRpcAreMetered() {
    server.get("/api/v1/health/ready");
    Map<String, Double> metrics = scrape();
    assertThat(metrics.keySet()).anyMatch(name -> name.startsWith("jvm_memory_used_bytes{"));
    assertThat(metrics.keySet()).anyMatch(name -> name.startsWith("jvm_threads_live_threads"));
    assertThat(metrics.keySet()).anyMatch(name -> name.startsWith("hikaricp_connections_active{"));
    assertThat(metrics.keySet()).anyMatch(name -> name.startsWith("hikaricp_connections_max{"));
    assertThat(metrics.keySet()).anyMatch(name ->
        name.startsWith("rpc_server_duration_seconds_count{") && name.contains("SystemService/Ready"));
    assertThat(metrics).containsKey("rt_jobs_settlement_duration_seconds_count");
    assertThat(metrics).containsKey("rt_ledger_batch_seal_duration_seconds_count");
    assertThat(metrics.get("rt_webhooks_backlog")).as("no delivery waits").isEqualTo(0.0);
  }

  private static OptionalDouble value(Map<String, Double> metrics, String name) {
    Double value = metrics.get(name);
    return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
  }

  /** {@code /metrics} as series (name with labels) to value; comments skipped. */
  static Map<String, Double> scrape() {
    HttpResponse<String> response = server.get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    return PrometheusText.parse(response.body());
  }
}
