package com.rendertrust.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.metrics.ScrapedRegistry;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/**
 * The webhook backlog gauge outlives the {@link OperatorMetrics} that registered it: the
 * composition root keeps no reference to it, and a gauge holds its object weakly by default.
 */
class OperatorMetricsGaugeTest {

  @Test
  void theBacklogGaugeStillReadsItsSourceAfterTheRegistrarIsCollected() throws InterruptedException {
    ScrapedRegistry registry = new ScrapedRegistry();
    WeakReference<OperatorMetrics> registrar = registerAndForget(registry);

    for (int attempt = 0; attempt < 50 && registrar.get() != null; attempt++) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(registrar.get()).as("the registrar was collected, so the gauge relies on its own reference").isNull();
    assertThat(registry.get("rt.webhooks.backlog").gauge().value()).isEqualTo(3.0);
  }

  private static WeakReference<OperatorMetrics> registerAndForget(ScrapedRegistry registry) {
    OperatorMetrics metrics = new OperatorMetrics(registry);
    metrics.webhookBacklog(() -> 3);
    return new WeakReference<>(metrics);
  }
}
