package com.rendertrust.server.nodes;

import java.util.UUID;

/** The answer to a registration: the node's id, the challenge to sign, its token and status. */
public record RegisteredNode(UUID nodeId, String challenge, String token, NodeStatus status) {
}
