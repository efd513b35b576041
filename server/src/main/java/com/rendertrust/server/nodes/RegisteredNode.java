package com.rendertrust.server.nodes;

import com.rendertrust.server.platform.auth.NodeToken;
import java.util.UUID;

/**
 * The answer to a registration: the node's id, the challenge to sign, its token (good for the
 * proof only until the challenge is signed), the claims that token carries, and the status.
 */
public record RegisteredNode(UUID nodeId, String challenge, String token, NodeToken claims, NodeStatus status) {
}
