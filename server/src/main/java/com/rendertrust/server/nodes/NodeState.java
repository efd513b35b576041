package com.rendertrust.server.nodes;

import java.util.UUID;

/** A node's status after a proof or heartbeat, and whether it may receive jobs now. */
public record NodeState(UUID nodeId, NodeStatus status, boolean verified, boolean hasFreeSlot) {

  public boolean canTakeJobs() {
    return verified && status == NodeStatus.HEALTHY && hasFreeSlot;
  }
}
