package com.rendertrust.server.testing;

import com.rendertrust.server.nodes.NodeTokens;
import java.util.UUID;

/**
 * TEST ONLY: node "tokens" that {@link TestCallerInterceptor} understands, standing in for the
 * identity feature's node JWTs until it is merged.
 */
public final class TestNodeTokens implements NodeTokens {

  @Override
  public String issue(UUID nodeId) {
    return TestCallerInterceptor.NODE_PREFIX + nodeId;
  }
}
