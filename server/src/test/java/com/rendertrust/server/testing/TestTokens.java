package com.rendertrust.server.testing;

import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.auth.Role;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.UUID;

/**
 * Real access tokens, signed by a test server's own key, for a user id the test picked: lets
 * money tests run as many distinct users as they need without registering each one, while every
 * call still passes the production authentication and access policy.
 */
public final class TestTokens {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private TestTokens() {
  }

  /**
   * Claims of a node token for {@code nodeId} naming a made-up registration and key: for calls
   * that end at test doubles, where no node exists (the real nodes feature refuses such a token).
   */
  public static NodeToken madeUpNode(UUID nodeId) {
    return new NodeToken(nodeId, UUID.randomUUID(), "ab".repeat(32));
  }

  public static String accessToken(TestServer server, UUID userId) {
    return server.controlPlane().identity().tokens().issueAccess(userId, UUID.randomUUID(), Role.USER).value();
  }

  /** REST header pair for {@link TestServer#get(String, String...)} and friends. */
  public static String[] authHeader(TestServer server, UUID userId) {
    return new String[] {"Authorization", "Bearer " + accessToken(server, userId)};
  }

  /** A client interceptor that sends every call with an access token of {@code userId}. */
  public static ClientInterceptor as(TestServer server, UUID userId) {
    String bearer = "Bearer " + accessToken(server, userId);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(AUTHORIZATION, bearer);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
