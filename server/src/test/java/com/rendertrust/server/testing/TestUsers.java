package com.rendertrust.server.testing;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import java.util.UUID;

/** Registers accounts through the real AuthService (in-process gRPC), one unique e-mail each. */
public final class TestUsers {

  public static final String PASSWORD = "correct horse battery";

  private TestUsers() {
  }

  public static TestUser register(TestServer server) {
    return register(server, "user-" + UUID.randomUUID() + "@example.com");
  }

  public static TestUser register(TestServer server, String email) {
    String name = "Test User";
    RegisterResponse response = AuthServiceGrpc.newBlockingStub(server.channel())
        .register(RegisterRequest.newBuilder().setEmail(email).setName(name).setPassword(PASSWORD).build());
    return new TestUser(UUID.fromString(response.getUser().getId()), response.getUser().getEmail(), name, PASSWORD,
        response.getTokens().getAccessToken(), response.getTokens().getRefreshToken());
  }
}
