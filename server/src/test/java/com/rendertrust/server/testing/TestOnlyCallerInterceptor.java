package com.rendertrust.server.testing;

import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.Role;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.UUID;

/**
 * TEST ONLY, never wired into the server: stands in for the authentication interceptor (being
 * built in its own issue) on an in-process gRPC server. A call carrying
 * {@code x-test-user-id: <uuid>} runs as that user ({@code x-test-role} picks another role);
 * a call without it runs with no caller, like an unauthenticated request.
 */
public final class TestOnlyCallerInterceptor implements ServerInterceptor {

  public static final Metadata.Key<String> USER_ID = Metadata.Key.of("x-test-user-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> ROLE = Metadata.Key.of("x-test-role", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String userId = headers.get(USER_ID);
    if (userId == null) {
      return next.startCall(call, headers);
    }
    String role = headers.get(ROLE);
    Caller caller = new Caller(UUID.fromString(userId), role == null ? Role.USER : Role.valueOf(role));
    return Contexts.interceptCall(Context.current().withValue(CallerContext.KEY, caller), call, headers, next);
  }

  /** Client-side metadata that makes a call run as {@code userId} with {@code role}. */
  public static Metadata as(UUID userId, Role role) {
    Metadata metadata = new Metadata();
    metadata.put(USER_ID, userId.toString());
    metadata.put(ROLE, role.name());
    return metadata;
  }
}
