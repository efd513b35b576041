package com.rendertrust.server.testing;

import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.UUID;

/**
 * TEST ONLY: authenticates callers from fake bearer tokens, standing in for the identity
 * feature's JWT interceptor until it is merged. {@code Bearer test-user:<uuid>} is that user,
 * {@code Bearer test-node:<uuid>} that node; any other bearer is TOKEN_INVALID; none is anonymous.
 */
public final class TestCallerInterceptor implements ServerInterceptor {

  public static final String USER_PREFIX = "test-user:";
  public static final String NODE_PREFIX = "test-node:";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  public static String userBearer(UUID userId) {
    return "Bearer " + USER_PREFIX + userId;
  }

  public static String nodeBearer(String token) {
    return "Bearer " + token;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String header = headers.get(AUTHORIZATION);
    if (header == null) {
      return next.startCall(call, headers);
    }
    Caller caller = parse(header);
    return Contexts.interceptCall(Context.current().withValue(CallerContext.KEY, caller), call, headers, next);
  }

  private static Caller parse(String header) {
    if (header.startsWith("Bearer ")) {
      String token = header.substring("Bearer ".length());
      try {
        if (token.startsWith(USER_PREFIX)) {
          return new Caller(UUID.fromString(token.substring(USER_PREFIX.length())), Role.USER);
        }
        if (token.startsWith(NODE_PREFIX)) {
          return new Caller(UUID.fromString(token.substring(NODE_PREFIX.length())), Role.NODE);
        }
      } catch (IllegalArgumentException e) {
        // falls through: not a token of ours
      }
    }
    throw new DomainException(Reason.TOKEN_INVALID, "invalid token");
  }
}
