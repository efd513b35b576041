package com.rendertrust.server.nodes;

import com.rendertrust.server.platform.auth.NodeToken;

/**
 * Issues a node's credential: a node JWT (token_type "node", subject = node id, 24 h) naming the
 * registration that issued it and the key it was issued for. The identity feature implements it;
 * its authentication interceptor later verifies the token and leaves the node's id
 * ({@code CallerContext}, role NODE) and these claims ({@code CallerContext.NODE_TOKEN}) for the
 * adapters; whether the token is usable now is this feature's decision ({@link NodeCredentials}).
 */
public interface NodeTokens {

  String issue(NodeToken claims);
}
