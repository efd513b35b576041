package com.rendertrust.server.platform.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Prometheus registry of a replica ({@code /metrics}), with the JVM's meters bound
 * ({@code jvm_*}, {@code process_*}, {@code system_*}) and refreshers that run before every
 * scrape: gauges read from PostgreSQL (queue depth, tasks and nodes by status) are brought up to
 * date once per scrape, in one query each, instead of one query per gauge.
 */
public final class ScrapedRegistry extends PrometheusMeterRegistry {

  private static final Logger log = LoggerFactory.getLogger(ScrapedRegistry.class);

  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public ScrapedRegistry() {
    super(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(this);
    gc.bindTo(this);
    new JvmThreadMetrics().bindTo(this);
    new ClassLoaderMetrics().bindTo(this);
    new ProcessorMetrics().bindTo(this);
    new UptimeMetrics().bindTo(this);
  }

  /** Runs {@code refresh} before each scrape; a refresh that fails keeps the last values (and is logged). */
  public void beforeScrape(Runnable refresh) {
    beforeScrape.add(refresh);
  }

  private void refresh() {
    for (Runnable refresh : beforeScrape) {
      try {
        refresh.run();
      } catch (RuntimeException e) {
        log.debug("a metrics refresh failed; its gauges keep their last values", e);
      }
    }
  }

  @Override
  public String scrape() {
    refresh();
    return super.scrape();
  }

  @Override
  public String scrape(String contentType) {
    refresh();
    return super.scrape(contentType);
  }

  @Override
  public void close() {
    gc.close();
    super.close();
  }
}
