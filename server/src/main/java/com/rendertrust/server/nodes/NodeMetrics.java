package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Nodes as an operator watches them: {@code rt_nodes_by_status{status}} from {@code nodes} (every
 * status, 0 included; refreshed before a scrape), and {@code rt_nodes_open_streams}, the Connect
 * streams open on this replica (sum over replicas for the installation).
 */
public final class NodeMetrics {

  private final DSLContext dsl;
  private final MultiGauge byStatus;

  public NodeMetrics(DSLContext dsl, NodeSessions sessions, MeterRegistry registry) {
    this.dsl = dsl;
    this.byStatus = MultiGauge.builder("rt.nodes.by.status").description("Registered nodes by status")
        .register(registry);
    Gauge.builder("rt.nodes.open.streams", sessions, NodeSessions::openCount)
        .description("Node Connect streams open on this replica")
        .register(registry);
  }

  public void refresh() {
    Map<NodeStatus, Integer> counts = new EnumMap<>(NodeStatus.class);
    for (NodeStatus status : NodeStatus.values()) {
      counts.put(status, 0);
    }
    for (var row : dsl.select(NODES.STATUS, DSL.count()).from(NODES).groupBy(NODES.STATUS).fetch()) {
      counts.put(NodeStatus.valueOf(row.value1()), row.value2());
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((status, count) -> rows.add(MultiGauge.Row.of(Tags.of("status", status.name()), count)));
    byStatus.register(rows, true);
  }
}
