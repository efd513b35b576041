package com.rendertrust.server.nodes;

import com.rendertrust.server.platform.errors.DomainException;
import java.time.Duration;
import java.util.UUID;

/**
 * Administrators' actions on nodes: drain, disable and enable. The node's state is written by
 * {@link NodeService} (the nodes table's one writer); a drained node's stream, when this replica
 * holds it, also gets a Drain frame so its agent winds down. Either way the scheduler gives a
 * node that is not ACTIVE no new tasks (on every replica: the state is in the database).
 */
public final class NodeAdministration {

  private static final Duration DRAIN_GRACE = Duration.ofMinutes(5);

  private final NodeService nodes;
  private final NodeDirectory directory;
  private final NodeSessions sessions;

  public NodeAdministration(NodeService nodes, NodeDirectory directory, NodeSessions sessions) {
    this.nodes = nodes;
    this.directory = directory;
    this.sessions = sessions;
  }

  /** 404 NOT_FOUND for an unknown node. */
  public NodeView drain(UUID nodeId) {
    NodeView node = set(nodeId, NodeAdminState.DRAINING);
    sessions.local(nodeId).ifPresent(session -> session.drain("drained by an administrator", DRAIN_GRACE));
    return node;
  }

  public NodeView disable(UUID nodeId) {
    return set(nodeId, NodeAdminState.DISABLED);
  }

  /** Back to ACTIVE: the node takes tasks again once it is healthy and connected. */
  public NodeView enable(UUID nodeId) {
    NodeView node = set(nodeId, NodeAdminState.ACTIVE);
    sessions.jobsChanged(nodeId);
    return node;
  }

  private NodeView set(UUID nodeId, NodeAdminState state) {
    if (!nodes.setAdminState(nodeId, state)) {
      throw DomainException.notFound("node");
    }
    return directory.find(nodeId).orElseThrow(() -> DomainException.notFound("node"));
  }
}
