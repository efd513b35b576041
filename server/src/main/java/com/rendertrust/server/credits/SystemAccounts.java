package com.rendertrust.server.credits;

import java.util.UUID;

/** The singleton system accounts, created with fixed ids by migration V3. */
public final class SystemAccounts {

  /** Owner id of every system account (accounts are keyed by owner and kind). */
  public static final UUID SYSTEM_OWNER = new UUID(0, 0);
  public static final UUID PLATFORM_REVENUE = UUID.fromString("00000000-0000-0000-0000-00000000c001");
  public static final UUID JOB_HOLDS = UUID.fromString("00000000-0000-0000-0000-00000000c002");
  public static final UUID STRIPE_CLEARING = UUID.fromString("00000000-0000-0000-0000-00000000c003");
  public static final UUID ADJUSTMENTS = UUID.fromString("00000000-0000-0000-0000-00000000c004");

  private SystemAccounts() {
  }
}
