package com.rendertrust.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.TierMultipliers;
import com.rendertrust.server.platform.errors.DomainException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The rules of issue 14 that need no database: prices by tier, the tiers' setting, the retry backoff. */
class PricingRulesTest {

  private final JobsConfig defaults = JobsConfig.defaults();

  @Test
  void renderIsPricedPerFrameOtherTypesPerJobTimesTheTier() {
    assertThat(Prices.of(defaults, "render", 4, Tier.STANDARD)).isEqualTo(400_000);
    assertThat(Prices.of(defaults, "render", 4, Tier.ECONOMY)).isEqualTo(320_000);
    assertThat(Prices.of(defaults, "render", 4, Tier.PRIORITY)).isEqualTo(600_000);
    assertThat(Prices.of(defaults, "cpu_benchmark", 0, Tier.ECONOMY)).isEqualTo(8_000);
    assertThat(Prices.of(defaults, "cpu_benchmark", 0, Tier.STANDARD)).isEqualTo(10_000);
    assertThat(Prices.of(defaults, "cpu_benchmark", 0, Tier.PRIORITY)).isEqualTo(15_000);
    assertThat(Prices.of(defaults, "echo", 0, Tier.PRIORITY)).isZero();
  }

  @Test
  void tierMultipliersParseOverrideAndRefuseNonsense() {
    TierMultipliers parsed = TierMultipliers.parse("priority=2, economy=0.5");
    assertThat(parsed.priority()).isEqualByComparingTo("2");
    assertThat(parsed.economy()).isEqualByComparingTo("0.5");
    assertThat(parsed.standard()).isEqualByComparingTo(BigDecimal.ONE);
    assertThatThrownBy(() -> TierMultipliers.parse("gold=3")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TierMultipliers.parse("economy=-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TierMultipliers.parse("economy=0.12345")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Tier.parse("")).isEqualTo(Tier.STANDARD);
    assertThatThrownBy(() -> Tier.parse("Priority")).isInstanceOf(DomainException.class);
  }

  @Test
  void theBackoffDoublesFromTheBaseUpToFiveMinutesWithJitterInItsUpperHalf() {
    Duration base = Duration.ofSeconds(5);
    assertThat(RetryBackoff.ceiling(base, 0)).isEqualTo(Duration.ofSeconds(5));
    assertThat(RetryBackoff.ceiling(base, 1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(RetryBackoff.ceiling(base, 3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(RetryBackoff.ceiling(base, 6)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryBackoff.ceiling(base, 60)).isEqualTo(Duration.ofMinutes(5));
    OffsetDateTime now = OffsetDateTime.of(2026, 12, 2, 12, 0, 0, 0, ZoneOffset.UTC);
    for (int i = 0; i < 200; i++) {
      OffsetDateTime due = RetryBackoff.notBefore(defaults, 1, now);
      assertThat(due).isBetween(now.plusSeconds(5), now.plusSeconds(10));
    }
    assertThat(RetryBackoff.notBefore(defaults.withRetryBase(Duration.ZERO), 2, now)).as("at once").isNull();
  }
}
