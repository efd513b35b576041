package com.rendertrust.server.ledger.anchor;

import static com.rendertrust.server.db.Tables.ANCHOR_BATCHES;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * How far anchoring trails the ledger, refreshed before a scrape: {@code rt_anchor_unfinished_batches}
 * (sealed batches not yet FINAL on chain) and {@code rt_anchor_lag_blocks}: while batches wait,
 * the chain's head block minus the block of the newest anchored (INCLUDED or FINAL) batch; 0 when
 * none waits or none was anchored yet. A chain that does not answer keeps the last values.
 */
public final class AnchorMetrics {

  private final DSLContext dsl;
  private final ChainClient chain;
  private final AtomicLong lagBlocks = new AtomicLong();
  private final AtomicLong unfinished = new AtomicLong();

  public AnchorMetrics(DSLContext dsl, ChainClient chain, MeterRegistry registry) {
    this.dsl = dsl;
    this.chain = chain;
    Gauge.builder("rt.anchor.lag.blocks", lagBlocks, AtomicLong::get)
        .description("Blocks since the newest anchored batch, while sealed batches wait for anchoring")
        .register(registry);
    Gauge.builder("rt.anchor.unfinished.batches", unfinished, AtomicLong::get)
        .description("Sealed ledger batches not yet FINAL on chain")
        .register(registry);
  }

  public void refresh() {
    long waiting = dsl.fetchCount(ANCHOR_BATCHES, ANCHOR_BATCHES.STATUS.ne("FINAL"));
    Long lastAnchored = dsl.select(DSL.max(ANCHOR_BATCHES.BLOCK_NUMBER)).from(ANCHOR_BATCHES).fetchSingle().value1();
    unfinished.set(waiting);
    if (waiting == 0 || lastAnchored == null) {
      lagBlocks.set(0);
      return;
    }
    lagBlocks.set(Math.max(0, chain.blockNumber() - lastAnchored));
  }
}
