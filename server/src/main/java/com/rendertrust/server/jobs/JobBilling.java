package com.rendertrust.server.jobs;

import java.util.UUID;

/**
 * The jobs feature's only view of money: a hold per job, then exactly one resolution.
 * The credits feature implements it (holds on the caller's balance; USAGE entries with the
 * operator/platform split). Every method is idempotent per job id, because the jobs feature
 * calls it after its own commit and retries until it succeeds (see {@link Settlement}).
 */
public interface JobBilling {

  /**
   * Holds {@code amount} (ten-thousandths, > 0) of {@code userId}'s available credits for the job.
   * Throws {@code DomainException(INSUFFICIENT_CREDITS)} with metadata {@code available} and
   * {@code requested} when available credits are short; nothing is held then.
   */
  void hold(UUID jobId, UUID userId, long amount);

  /**
   * Charges the held amount as USAGE: the operator's share to {@code operatorUserId} (null when
   * the node has no operator: all of it goes to the platform). Releases nothing else.
   */
  void capture(UUID jobId, UUID operatorUserId);

  /** Returns the held amount to the user (failure, cancel, timeout). A missing hold is a no-op. */
  void release(UUID jobId);
}
