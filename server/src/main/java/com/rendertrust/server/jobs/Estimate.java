package com.rendertrust.server.jobs;

import java.util.OptionalLong;

/**
 * What a submission would cost and when it could start, with nothing written.
 *
 * @param price ten-thousandths of a credit
 * @param available the caller's available credits, ten-thousandths
 * @param estimatedStartSeconds empty when there is no recent dispatch rate to estimate from
 */
public record Estimate(String jobType, Tier tier, int frames, int tasks, long price, long available, int eligibleNodes,
    int freeSlots, int queuedAhead, OptionalLong estimatedStartSeconds) {

  public boolean sufficient() {
    return available >= price;
  }
}
