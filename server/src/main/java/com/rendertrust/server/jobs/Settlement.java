package com.rendertrust.server.jobs;

/**
 * Where a job's money stands. A job is HELD from its submission on (the hold commits with the
 * job row). Its end settles in the same transaction as the status change when it can (straight
 * to CAPTURED or RELEASED); when that fails, the status change commits alone with a *_PENDING
 * state and the sweeper retries the billing until it succeeds (billing is idempotent per job
 * id), so a failure delays a settlement but never loses or doubles one.
 */
public enum Settlement {
  /** Free job type (price 0): nothing is held or charged. */
  NONE,
  /**
   * Written only by versions that placed the hold in a second transaction: the hold's outcome
   * is unknown, and the sweeper fails and releases such a job (JobService#abandonSubmission).
   */
  HOLD_PENDING,
  HELD,
  CAPTURE_PENDING,
  CAPTURED,
  RELEASE_PENDING,
  RELEASED
}
