package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * {@code rt_anchor_lag_blocks} and {@code rt_anchor_unfinished_batches} from the real database
 * and a real anvil: the lag counts the chain's blocks since the newest anchored batch while a
 * sealed batch waits, and is 0 when none waits.
 */
class AnchorMetricsTest {

  @Test
  void theLagCountsBlocksSinceTheNewestAnchoredBatchWhileABatchWaits() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      MeterRegistry registry = new SimpleMeterRegistry();
      AnchorMetrics metrics = new AnchorMetrics(h.database.dsl(), h.chain, registry);
      metrics.refresh();
      assertThat(gauge(registry, "rt.anchor.unfinished.batches")).isZero();
      assertThat(gauge(registry, "rt.anchor.lag.blocks")).isZero();

      SealedBatch first = h.seal(3);
      metrics.refresh();
      assertThat(gauge(registry, "rt.anchor.unfinished.batches")).as("sealed, not yet anchored").isEqualTo(1);
      assertThat(gauge(registry, "rt.anchor.lag.blocks")).as("nothing anchored yet").isZero();

      long anchoredAt = h.driveToFinal(first.batchId()).blockNumber().orElseThrow();
      metrics.refresh();
      assertThat(gauge(registry, "rt.anchor.unfinished.batches")).isZero();
      assertThat(gauge(registry, "rt.anchor.lag.blocks")).as("none waits").isZero();

      h.seal(2);
      h.anvil.mine(5);
      metrics.refresh();
      assertThat(gauge(registry, "rt.anchor.unfinished.batches")).isEqualTo(1);
      assertThat(gauge(registry, "rt.anchor.lag.blocks")).isEqualTo(h.anvil.blockNumber() - anchoredAt)
          .isGreaterThanOrEqualTo(5);
    }
  }

  private static double gauge(MeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }
}
