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

  /**
   * As {@link #dispatched(UUID, UUID)}, with the task as it was committed: a stream on this
   * replica may deliver it without reading it back. A cancel or reassignment committed meanwhile
   * is safe: the node's acceptance of a withdrawn assignment is refused by its fencing token, and
   * the change's own notification makes the stream withdraw it.
   */
  default void dispatched(UUID nodeId, ActiveAssignment assignment) {
    dispatched(nodeId, assignment.assignmentId());
  }

  NodeNotifier NONE = nodeId -> { };
}
