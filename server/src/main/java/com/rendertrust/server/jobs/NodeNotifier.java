package com.rendertrust.server.jobs;

import java.util.UUID;

/**
 * Tells the stream holding a node (on whichever replica) that the node's jobs changed in the
 * database: a dispatch to deliver or an assignment to withdraw. Best effort: every stream also
 * re-reads its node's jobs periodically, so a lost notification costs latency, never a job.
 */
public interface NodeNotifier {

  void jobsChanged(UUID nodeId);

  NodeNotifier NONE = nodeId -> { };
}
