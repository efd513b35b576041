package com.rendertrust.server.credits;

import java.util.UUID;

/**
 * The system accounts, created with fixed ids by migration V3. Platform revenue and job holds
 * are touched by every deduction and capture of every user, so each is split into
 * {@link #SHARDS} accounts and a movement uses the shard of its user: movements of different
 * users rarely queue on the same row lock. A kind's balance is the sum of its shards.
 */
public final class SystemAccounts {

  public static final int SHARDS = 16;
  /** Owner id of the unsharded system accounts (and of shard 0). */
  public static final UUID SYSTEM_OWNER = new UUID(0, 0);
  /** Shard 0 of platform revenue. */
  public static final UUID PLATFORM_REVENUE = id(1, 0);
  /** Shard 0 of job holds. */
  public static final UUID JOB_HOLDS = id(2, 0);
  public static final UUID STRIPE_CLEARING = id(3, 0);
  public static final UUID ADJUSTMENTS = id(4, 0);
  /** Created by migration V16_1. */
  public static final UUID CHAIN_CLEARING = id(5, 0);
  public static final UUID PAYOUTS_CLEARING = id(6, 0);

  private SystemAccounts() {
  }

  /** The platform revenue shard that movements of {@code userId} credit. */
  public static UUID platformRevenueFor(UUID userId) {
    return id(1, shardOf(userId));
  }

  /** The job holds shard that captures of {@code userId}'s jobs pass through. */
  public static UUID jobHoldsFor(UUID userId) {
    return id(2, shardOf(userId));
  }

  static int shardOf(UUID userId) {
    return Math.floorMod(userId.hashCode(), SHARDS);
  }

  /** {@code 00000000-0000-0000-<kind as 4 hex>-<shard as 12 hex>}, as the migration writes them. */
  private static UUID id(int kind, int shard) {
    return new UUID(0, ((long) kind << 48) | shard);
  }
}
