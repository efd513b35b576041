package com.rendertrust.server;

import com.rendertrust.server.jobs.JobMetrics;
import com.rendertrust.server.ledger.anchor.AnchorMetrics;
import com.rendertrust.server.ledger.anchor.Anchoring;
import com.rendertrust.server.nodes.NodeMetrics;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.metrics.ScrapedRegistry;
import io.micrometer.core.instrument.Gauge;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The gauges an operator watches beyond the per-RPC histograms, wired by the composition root onto
 * the replica's one registry: {@code rt_jobs_*} and {@code rt_nodes_*} (refreshed from PostgreSQL
 * before each scrape), {@code rt_anchor_*} when anchoring runs, and {@code rt_webhooks_backlog},
 * fed by the outbound-webhooks feature through {@link #webhookBacklog} (NaN until then).
 * Latency histograms ({@code rt_jobs_dispatch_latency_seconds}, {@code rt_jobs_settlement_duration_seconds},
 * {@code rt_ledger_batch_seal_duration_seconds}) are recorded by the features themselves.
 */
public final class OperatorMetrics {

  private final AtomicReference<LongSupplier> webhookBacklog = new AtomicReference<>();

  OperatorMetrics(ScrapedRegistry registry) {
    // A gauge holds its object weakly by default, and nothing else keeps this instance once the
    // composition root is built: without a strong reference the gauge read NaN after a GC.
    Gauge.builder("rt.webhooks.backlog", webhookBacklog, backlog -> {
      LongSupplier source = backlog.get();
      return source == null ? Double.NaN : source.getAsLong();
    }).strongReference(true)
        .description("Outbound webhook deliveries waiting to be sent (NaN until webhooks are wired)").register(registry);
  }

  /** Binds the pool's meters and registers every gauge of this class's description. */
  static OperatorMetrics register(ScrapedRegistry registry, Database database, JobNetwork jobNetwork,
      Optional<Anchoring> anchoring) {
    OperatorMetrics metrics = new OperatorMetrics(registry);
    JobMetrics jobs = new JobMetrics(database.dsl(), registry);
    NodeMetrics nodes = new NodeMetrics(database.dsl(), jobNetwork.sessions(), registry);
    registry.beforeScrape(jobs::refresh);
    registry.beforeScrape(nodes::refresh);
    anchoring.ifPresent(running -> {
      AnchorMetrics anchors = new AnchorMetrics(database.dsl(), running.chain(), registry);
      registry.beforeScrape(anchors::refresh);
    });
    return metrics;
  }

  /**
   * The hook for the outbound-webhooks feature: {@code backlog} answers how many deliveries wait
   * (e.g. a count of its pending rows); read at each scrape as {@code rt_webhooks_backlog}.
   */
  public void webhookBacklog(LongSupplier backlog) {
    webhookBacklog.set(backlog);
  }
}
