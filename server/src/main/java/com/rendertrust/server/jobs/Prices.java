package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.config.JobsConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * What a job costs (ten-thousandths of a credit): its type's price ({@code RT_JOB_PRICES}) per
 * frame for a render job, per job otherwise, times its tier's multiplier, rounded down.
 */
final class Prices {

  private Prices() {
  }

  static long of(JobsConfig config, String jobType, int frames, Tier tier) {
    BigDecimal base = BigDecimal.valueOf(config.prices().forType(jobType)).multiply(BigDecimal.valueOf(Math.max(1, frames)));
    return base.multiply(config.tiers().of(tier.wireName())).setScale(0, RoundingMode.DOWN).longValueExact();
  }
}
