package com.rendertrust.server.platform.config;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What each tier multiplies a job's price by ({@code RT_TIER_MULTIPLIERS}, written
 * {@code economy=0.8,standard=1,priority=1.5}; entries not given keep their default).
 */
public record TierMultipliers(BigDecimal economy, BigDecimal standard, BigDecimal priority) {

  public static final TierMultipliers DEFAULTS =
      new TierMultipliers(new BigDecimal("0.8"), BigDecimal.ONE, new BigDecimal("1.5"));

  public TierMultipliers {
    for (BigDecimal value : new BigDecimal[] {economy, standard, priority}) {
      Objects.requireNonNull(value, "tier multiplier");
      if (value.signum() < 0 || value.scale() > 4 || value.compareTo(BigDecimal.valueOf(100)) > 0) {
        throw new IllegalArgumentException("a tier multiplier must be 0..100 with at most 4 decimals, got " + value);
      }
    }
  }

  /** The multiplier of the tier named {@code tier} (economy, standard or priority). */
  public BigDecimal of(String tier) {
    return switch (tier) {
      case "economy" -> economy;
      case "standard" -> standard;
      case "priority" -> priority;
      default -> throw new IllegalArgumentException("unknown tier " + tier);
    };
  }

  public static TierMultipliers parse(String text) {
    Map<String, BigDecimal> values = new LinkedHashMap<>(Map.of(
        "economy", DEFAULTS.economy, "standard", DEFAULTS.standard, "priority", DEFAULTS.priority));
    for (String entry : text.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int equals = entry.indexOf('=');
      String tier = equals <= 0 ? "" : entry.substring(0, equals).strip();
      if (!values.containsKey(tier)) {
        throw new IllegalArgumentException(
            "RT_TIER_MULTIPLIERS entries must look like economy|standard|priority=number, got '" + entry.strip() + "'");
      }
      try {
        values.put(tier, new BigDecimal(entry.substring(equals + 1).strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("RT_TIER_MULTIPLIERS: bad value for '" + tier + "'");
      }
    }
    return new TierMultipliers(values.get("economy"), values.get("standard"), values.get("priority"));
  }
}
