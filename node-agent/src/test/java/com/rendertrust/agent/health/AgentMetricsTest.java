package com.rendertrust.agent.health;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code /metrics} on the agent's health port: running jobs, job durations, upload bytes, reconnects. */
class AgentMetricsTest extends RunningAgentTestBase {

  @Test
  void aFinishedJobItsUploadAndAReconnectShowInTheMetrics() throws Exception {
    fixture.start();
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    Await.until(() -> fixture.agent().connection().connected(), WAIT, "connected");

    Map<String, Double> idle = scrape();
    assertThat(idle).containsEntry("rt_agent_running_jobs", 0.0);
    assertThat(idle).containsEntry("rt_agent_slots", 2.0);
    assertThat(idle).containsEntry("rt_agent_connected", 1.0);
    assertThat(idle).containsEntry("rt_agent_reconnects_total", 0.0);
    assertThat(idle).containsEntry("rt_agent_upload_bytes_total", 0.0);
    assertThat(idle.keySet()).anyMatch(name -> name.startsWith("jvm_memory_used_bytes{"));

    stream.dispatch(dispatch("m1", "echo", "{\"message\":\"metered\"}", store.uploadUrl("m1")).build());
    assertCompleted(awaitResult(stream, "m1"));
    Map<String, Double> done = scrape();
    assertThat(done).containsEntry("rt_agent_job_duration_seconds_count{job_type=\"echo\",outcome=\"completed\"}", 1.0);
    assertThat(done.get("rt_agent_upload_bytes_total")).isGreaterThan(0.0);

    stream.drop(Status.UNAVAILABLE);
    server.awaitStream(1, WAIT);
    Await.until(() -> scrape().get("rt_agent_reconnects_total") == 1.0, WAIT, "a reconnect counted");

    // the Grafana dashboard's agent panels query only what this serves
    String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("..", "deploy", "grafana", "rendertrust.json"));
    java.util.regex.Matcher queried = java.util.regex.Pattern.compile("\\b(rt_agent_[a-z0-9_]+)\\b").matcher(dashboard);
    java.util.Set<String> served = new java.util.TreeSet<>();
    scrape().keySet().forEach(series -> served.add(series.replaceAll("\\{.*", "")));
    int checked = 0;
    while (queried.find()) {
      assertThat(served).as("dashboard query " + queried.group(1)).contains(queried.group(1));
      checked++;
    }
    assertThat(checked).isPositive();
  }

  private Map<String, Double> scrape() {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + fixture.agent().healthPort() + "/metrics")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(type -> type.startsWith("text/plain"));
      Map<String, Double> series = new LinkedHashMap<>();
      for (String line : response.body().split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          int split = line.lastIndexOf(' ');
          String value = line.substring(split + 1);
          series.put(line.substring(0, split), value.equals("NaN") ? Double.NaN : Double.parseDouble(value));
        }
      }
      return series;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
