package com.rendertrust.server.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.server.ledger.anchor.AnchorMetrics;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/rendertrust.json is a dashboard whose every panel query names metrics a
 * replica's {@code /metrics} serves (the agent's {@code rt_agent_*} are checked by the agent's
 * AgentMetricsTest; {@code rt_anchor_*}, served only while anchoring runs, against AnchorMetrics).
 */
class GrafanaDashboardTest {

  static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "rendertrust.json");
  private static final Pattern METRIC = Pattern.compile("\\b((?:rt|jvm|hikaricp|rpc|process|system)_[a-z0-9_]+)\\b");

  @Test
  void everyPanelQueryNamesAMetricTheServerServes() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    Set<String> queried = new TreeSet<>();
    int panels = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      panels++;
      assertThat(panel.path("targets").size()).as(panel.path("title").asText()).isPositive();
      for (JsonNode target : panel.path("targets")) {
        Matcher matcher = METRIC.matcher(target.path("expr").asText());
        boolean any = false;
        while (matcher.find()) {
          queried.add(matcher.group(1));
          any = true;
        }
        assertThat(any).as("a metric in " + target.path("expr").asText()).isTrue();
      }
    }
    assertThat(panels).isGreaterThanOrEqualTo(10);

    Set<String> served;
    try (TestServer server = JobsTesting.start()) {
      // a node with one slot and two jobs: one runs, one queues; every series has a value then
      TestNode.Stream stream = JobsTesting.readyNode(server, "echo", 1);
      for (int i = 0; i < 2; i++) {
        assertThat(server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}",
            "Authorization", JobsTesting.userBearer(server, UUID.randomUUID())).statusCode()).isEqualTo(200);
      }
      stream.dispatch();
      // the GC pause timer appears with the first collection the JVM reports (the server runs in this JVM)
      String scraped = server.get("/metrics").body();
      for (int attempt = 0; attempt < 50 && !scraped.contains("jvm_gc_pause_seconds_sum"); attempt++) {
        System.gc();
        java.util.concurrent.locks.LockSupport.parkNanos(java.time.Duration.ofMillis(100).toNanos());
        scraped = server.get("/metrics").body();
      }
      served = PrometheusText.names(scraped);
      JobsTesting.closeStreams(server, java.util.List.of(stream));
    }
    PrometheusMeterRegistry anchors = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new AnchorMetrics(null, null, anchors);
    served.addAll(PrometheusText.names(anchors.scrape()));

    Set<String> missing = new TreeSet<>();
    for (String name : queried) {
      if (!name.startsWith("rt_agent_") && !served.contains(name)) {
        missing.add(name);
      }
    }
    assertThat(missing).as("queried but not served by /metrics").isEmpty();
    assertThat(queried).anyMatch(name -> name.startsWith("rt_jobs_")).anyMatch(name -> name.startsWith("rt_nodes_"))
        .anyMatch(name -> name.startsWith("jvm_")).anyMatch(name -> name.startsWith("hikaricp_"));
  }
}
