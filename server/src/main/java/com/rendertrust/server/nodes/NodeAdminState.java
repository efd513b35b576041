package com.rendertrust.server.nodes;

/**
 * What an administrator decided about a node, apart from its liveness ({@link NodeStatus}):
 * ACTIVE (schedulable when healthy), DRAINING (takes no new tasks, its agent is asked to finish
 * what it runs) or DISABLED (takes no new tasks until enabled).
 */
public enum NodeAdminState {
  ACTIVE,
  DRAINING,
  DISABLED
}
