package com.rendertrust.server.jobs;

import com.rendertrust.server.credits.WorkSplit;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The jobs feature's only view of money: a hold per job, then exactly one resolution.
 * The credits feature implements it (holds on the caller's balance; USAGE entries with the
 * operator/platform split). Every method is idempotent per job id, because the jobs feature
 * retries a settlement until it succeeds (see {@link Settlement}).
 *
 * <p>The {@code ...Within} forms join the caller's transaction {@code tx}: the jobs flow holds in
 * the submission's transaction and settles in the finishing one, so the money moves in the same
 * commit as the job's state. They throw like their standalone forms; a refused hold writes nothing.
 */
public interface JobBilling {

  /**
   * Holds {@code amount} (ten-thousandths, > 0) of {@code userId}'s available credits for the job.
   * Throws {@code DomainException(INSUFFICIENT_CREDITS)} with metadata {@code available} and
   * {@code requested} when available credits are short; nothing is held then.
   */
  void hold(UUID jobId, UUID userId, long amount);

  /**
   * Charges the held amount as USAGE: each operator earns the operator share of its part of the
   * work (frames its nodes delivered), rounded down; the platform gets the rest, including the
   * part of work done by nodes without an operator. Releases nothing else.
   */
  void captureSplit(UUID jobId, WorkSplit work);

  /** {@link #captureSplit} for work done by one operator's nodes ({@code operatorUserId} null: by nobody's). */
  default void capture(UUID jobId, UUID operatorUserId) {
    captureSplit(jobId, WorkSplit.solely(operatorUserId));
  }

  /** Returns the held amount to the user (failure, cancel, timeout). A missing hold is a no-op. */
  void release(UUID jobId);

  /** {@link #hold} within {@code tx}. */
  void holdWithin(DSLContext tx, UUID jobId, UUID userId, long amount);

  /** One job's hold in a batch: {@code amount} (ten-thousandths, > 0) of {@code userId}'s credits. */
  record HoldRequest(UUID jobId, UUID userId, long amount) {
  }

  /**
   * {@link #holdWithin} for a batch of jobs, in one step within {@code tx}. Answers each request at
   * its index: true when held; false when nothing was written for it (its user's credits ran short,
   * or it cannot be placed in a batch): the caller answers it with {@link #holdWithin}, which
   * refuses exactly. Never refuses the whole batch for one request.
   */
  List<Boolean> holdAllWithin(DSLContext tx, List<HoldRequest> requests);

  /** {@link #captureSplit} within {@code tx}; {@code userId} is the job's owner. */
  void captureSplitWithin(DSLContext tx, UUID jobId, UUID userId, WorkSplit work);

  /** {@link #release} within {@code tx}. */
  void releaseWithin(DSLContext tx, UUID jobId);

  /**
   * Settles the hold {@code holdKey} within {@code tx}: captures {@code capture} (0..held, ten-
   * thousandths) split by {@code work}, releases the rest; 0 releases it all. Idempotent per key:
   * a repeat answers the earlier settlement. Returns the amount captured.
   */
  long settleWithin(DSLContext tx, UUID holdKey, UUID userId, WorkSplit work, long capture);

  /** The full capture of one job's hold for the work of one operator's nodes ({@code operatorUserId} null: nobody's). */
  record SoleCapture(UUID holdKey, UUID userId, UUID operatorUserId, long capture) {
  }

  /**
   * {@link #settleWithin} for a batch of holds, each paid for one operator's work, in one step
   * within {@code tx}. Answers each capture at its index: the amount captured, or empty when its
   * hold was not ACTIVE (nothing was written for it: the caller settles it with {@link
   * #settleWithin}, which answers repeats). Throws, writing nothing, when the batch is refused.
   */
  List<OptionalLong> captureAllWithin(DSLContext tx, List<SoleCapture> captures);

  /** The user's available credits (balance minus active holds) within {@code tx}, ten-thousandths. */
  long availableWithin(DSLContext tx, UUID userId);
}
