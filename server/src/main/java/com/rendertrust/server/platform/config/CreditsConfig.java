package com.rendertrust.server.platform.config;

import java.util.Objects;

/**
 * Credits and payments settings: the node operator's share of a job's price (the rest is
 * platform revenue), how many Checkout sessions one user may start per minute, and Stripe.
 */
public record CreditsConfig(int operatorSharePercent, int checkoutsPerMinute, StripeConfig stripe) {

  public static final int DEFAULT_OPERATOR_SHARE_PERCENT = 70;
  public static final int DEFAULT_CHECKOUTS_PER_MINUTE = 10;

  public CreditsConfig {
    if (operatorSharePercent < 0 || operatorSharePercent > 100) {
      throw new IllegalArgumentException("RT_OPERATOR_SHARE_PERCENT must be 0..100, got " + operatorSharePercent);
    }
    if (checkoutsPerMinute < 1) {
      throw new IllegalArgumentException("RT_CHECKOUTS_PER_MINUTE must be >= 1, got " + checkoutsPerMinute);
    }
    Objects.requireNonNull(stripe, "stripe");
  }

  public static CreditsConfig defaults() {
    return new CreditsConfig(DEFAULT_OPERATOR_SHARE_PERCENT, DEFAULT_CHECKOUTS_PER_MINUTE, StripeConfig.disabled());
  }

  public CreditsConfig withStripe(StripeConfig newStripe) {
    return new CreditsConfig(operatorSharePercent, checkoutsPerMinute, newStripe);
  }
}
