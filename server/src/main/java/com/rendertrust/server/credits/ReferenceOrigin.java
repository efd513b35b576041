package com.rendertrust.server.credits;

/**
 * Who made a transfer's reference id. Part of the idempotency key together with account and
 * source, so references of different makers never collide: a client deducting with a job's id
 * as its reference cannot pre-empt (or be mistaken for) that job's usage.
 */
public enum ReferenceOrigin {
  /** A client's Deduct call. */
  CLIENT,
  /** The jobs flow (hold capture); the reference is the job id. */
  JOB,
  /** A Stripe Checkout session; the reference is the session id. */
  CHECKOUT,
  /** An administrator's adjustment. */
  ADMIN,
  /** A {@code Deposit} log on chain; the reference is "<tx hash>:<log index>". */
  CHAIN,
  /** An operator payout; the reference is the payout id. */
  PAYOUT,
  /**
   * An accrual of batched captures' shares ({@link ShareAccruals}); the reference is "<accrual
   * id>:<job holds shard id>".
   */
  ACCRUAL
}
