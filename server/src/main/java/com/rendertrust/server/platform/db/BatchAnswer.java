package com.rendertrust.server.platform.db;

import com.rendertrust.server.platform.errors.ConnectionLoss;
import java.util.Optional;

/**
 * A {@link GroupCommit} batch's answer to one item, for writers that tell a lost connection apart:
 * what the batch wrote for the item, or that the batch lost its database connection, perhaps after
 * its commit, so that the item must not be written a second time.
 *
 * @param <R> what the batch wrote for the item
 */
public record BatchAnswer<R>(R written, boolean connectionLost) {

  /** The batch wrote {@code written} for the item. */
  public static <R> BatchAnswer<R> of(R written) {
    return new BatchAnswer<>(written, false);
  }

  /** The batch lost its connection: whether it committed is unknown. */
  public static <R> BatchAnswer<R> lost() {
    return new BatchAnswer<>(null, true);
  }

  /**
   * What {@link GroupCommit#submit} answered, as its caller uses it: what the batch wrote, or empty
   * when the caller goes its own way; throws 503 (DEPENDENCY_UNAVAILABLE) when the batch lost its
   * connection (the client's retry, with its idempotency key or reference, finds out what happened).
   */
  public static <R> Optional<R> unwrap(Optional<BatchAnswer<R>> answer) {
    if (answer.isPresent() && answer.get().connectionLost()) {
      throw ConnectionLoss.asUnavailable();
    }
    return answer.map(BatchAnswer::written);
  }
}
