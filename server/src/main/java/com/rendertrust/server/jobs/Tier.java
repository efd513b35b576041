package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.errors.DomainException;
import java.util.Map;

/**
 * A job's tier: multiplies its price ({@code RT_TIER_MULTIPLIERS}) and orders the queue before
 * the job's priority (priority first, then standard, then economy).
 */
public enum Tier {
  ECONOMY("economy", 0),
  STANDARD("standard", 1),
  PRIORITY("priority", 2);

  private final String wireName;
  private final short rank;

  Tier(String wireName, int rank) {
    this.wireName = wireName;
    this.rank = (short) rank;
  }

  public String wireName() {
    return wireName;
  }

  public short rank() {
    return rank;
  }

  /** "economy" | "standard" | "priority"; empty means standard; anything else is 422 (field tier). */
  public static Tier parse(String text) {
    if (text == null || text.isEmpty()) {
      return STANDARD;
    }
    for (Tier tier : values()) {
      if (tier.wireName.equals(text)) {
        return tier;
      }
    }
    throw new DomainException(com.rendertrust.server.platform.errors.Reason.VALIDATION_FAILED,
        "tier must be \"economy\", \"standard\" or \"priority\"", Map.of("field", "tier"));
  }

  public static Tier fromWireName(String text) {
    for (Tier tier : values()) {
      if (tier.wireName.equals(text)) {
        return tier;
      }
    }
    throw new IllegalArgumentException("unknown tier " + text);
  }
}
