package com.rendertrust.server.jobs;

/**
 * Where a job's money stands. The *_PENDING states are written in the same transaction as the
 * status change that causes them; the billing call follows the commit and is retried by the
 * sweeper until it succeeds (billing is idempotent per job id), so a crash between the two
 * delays a settlement but never loses or doubles one.
 */
public enum Settlement {
  /** Free job type (price 0): nothing is held or charged. */
  NONE,
  /** The job row exists, the hold is being placed; the job is not schedulable yet. */
  HOLD_PENDING,
  HELD,
  CAPTURE_PENDING,
  CAPTURED,
  RELEASE_PENDING,
  RELEASED
}
