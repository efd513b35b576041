package com.rendertrust.server.nodes;

import java.util.UUID;

/**
 * Issues a node's credential: a node JWT (token_type "node", subject = node id, 24 h). The
 * identity feature implements it; its authentication interceptor later verifies the token and
 * puts the node's id into the call's {@code CallerContext} (role NODE).
 */
public interface NodeTokens {

  String issue(UUID nodeId);
}
