package com.rendertrust.server.testing;

import io.grpc.stub.AbstractStub;
import java.util.UUID;

/**
 * A registered account with its first session, for tests of features that need a caller.
 * REST: {@code server.get(path, user.authHeader())}; gRPC: {@code user.authenticate(stub)}.
 */
public record TestUser(UUID id, String email, String name, String password, String accessToken,
    String refreshToken) {

  /** The header pair {@code Authorization: Bearer <access token>} for {@link TestServer}'s REST helpers. */
  public String[] authHeader() {
    return new String[] {"Authorization", "Bearer " + accessToken};
  }

  /** The same stub, sending this user's access token with every call. */
  public <S extends AbstractStub<S>> S authenticate(S stub) {
    return stub.withCallCredentials(GrpcCredentials.bearer(accessToken));
  }

  /** The same account after a refresh or login handed out a new pair. */
  public TestUser withTokens(String newAccessToken, String newRefreshToken) {
    return new TestUser(id, email, name, password, newAccessToken, newRefreshToken);
  }
}
