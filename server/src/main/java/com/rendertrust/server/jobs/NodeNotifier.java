package com.rendertrust.server.jobs;

import java.util.UUID;

/**
 * Tells the stream holding a node (on whichever replica) that the node's jobs changed in the
 * database: a dispatch to deliver or an assignment to withdraw. Best effort: every stream also
 * re-reads its node's jobs periodically, so a lost notification costs latency, never a job.
 */
public interface NodeNotifier {

  void jobsChanged(UUID nodeId);

  /**
   * {@code assignmentId} was just committed as DISPATCHED to {@code nodeId}: the stream may read
   * and deliver that one assignment instead of re-reading all the node's jobs (the fast path of a
   * submission). By default, {@link #jobsChanged}.
   */
  default void dispatched(UUID nodeId, UUID assignmentId) {
    jobsChanged(nodeId);
  }

  NodeNotifier NONE = nodeId -> { };
}
