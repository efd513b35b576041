package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.ClientAddressResolver;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.CallPeers;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Authentication and authorization of every call, before any handler runs: looks the method up
 * in the access policy (no entry: PERMISSION_DENIED), resolves the client address, verifies the
 * credential the policy needs ({@code authorization: Bearer <jwt>} or {@code x-api-key}), and
 * leaves the caller in {@link CallerContext} for the adapters. Failures are thrown as
 * {@link DomainException}s, so the error-mapping interceptor around this one answers them in
 * the one error model (and metrics see them).
 */
public final class AccessControlInterceptor implements ServerInterceptor {

  /** Credential headers larger than this are refused unread (Armeria's own header limit is 8 KiB). */
  static final int MAX_CREDENTIAL_CHARS = 8 * 1024;

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> FORWARDED_FOR = Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER);

  /** The verified credential of the call, for adapters that need more than the caller (Logout). */
  static final Context.Key<Authentication> AUTHENTICATION = Context.key("rendertrust-authentication");

  private static final String BEARER = "bearer ";

  private final Map<String, Access> policies;
  private final Authenticator authenticator;
  private final ClientAddressResolver clientAddresses;

  public AccessControlInterceptor(Map<String, Access> policies, Authenticator authenticator,
      ClientAddressResolver clientAddresses) {
    this.policies = Map.copyOf(policies);
    this.authenticator = authenticator;
    this.clientAddresses = clientAddresses;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Access access = policies.get(call.getMethodDescriptor().getFullMethodName());
    if (access == null) {
      throw new DomainException(Reason.PERMISSION_DENIED, "this method is not open to any caller");
    }
    Context context = Context.current()
        .withValue(CallerContext.CLIENT_ADDRESS, clientAddresses.resolve(CallPeers.remoteAddress(call), forwardedFor(headers)));
    Optional<Authentication> authentication = authorize(access, headers);
    if (authentication.isPresent()) {
      context = context
          .withValue(CallerContext.KEY, authentication.get().caller())
          .withValue(AUTHENTICATION, authentication.get());
      Optional<NodeToken> node = authentication.get().token().flatMap(VerifiedToken::node);
      if (node.isPresent()) {
        context = context.withValue(CallerContext.NODE_TOKEN, node.get());
      }
    }
    return Contexts.interceptCall(context, call, headers, next);
  }

  private Optional<Authentication> authorize(Access access, Metadata headers) {
    if (access == Access.PUBLIC) {
      return Optional.empty();
    }
    Optional<Authentication> presented = authenticate(headers);
    if (presented.isEmpty()) {
      if (access == Access.PUBLIC_OPTIONAL_CALLER) {
        return Optional.empty();
      }
      throw new DomainException(Reason.UNAUTHENTICATED,
          access == Access.NODE ? "node authentication required" : "authentication required");
    }
    Authentication authentication = presented.get();
    Role role = authentication.caller().role();
    switch (access) {
      case PUBLIC_OPTIONAL_CALLER -> {
        // any valid credential: the adapter decides what it means there
      }
      case USER -> requireUser(role);
      case USER_SESSION -> {
        requireUser(role);
        if (authentication.kind() != Authentication.Kind.ACCESS_TOKEN) {
          throw new DomainException(Reason.PERMISSION_DENIED, "this method needs an access token, not an API key");
        }
      }
      case NODE -> {
        if (role != Role.NODE) {
          throw new DomainException(Reason.PERMISSION_DENIED, "this method is for nodes");
        }
      }
      case ADMIN -> {
        if (role != Role.ADMIN) {
          throw new DomainException(Reason.PERMISSION_DENIED, "this method is for administrators");
        }
      }
      case PUBLIC -> throw new IllegalStateException("handled above");
    }
    return Optional.of(authentication);
  }

  private static void requireUser(Role role) {
    if (role == Role.NODE) {
      throw new DomainException(Reason.PERMISSION_DENIED, "this method is for users, not nodes");
    }
  }

  /** The one credential of the call, verified; empty when none was sent. */
  private Optional<Authentication> authenticate(Metadata headers) {
    String authorization = single(headers, AUTHORIZATION);
    String apiKey = single(headers, API_KEY);
    if (authorization != null && apiKey != null) {
      throw new DomainException(Reason.TOKEN_INVALID, "send either a bearer token or an API key, not both");
    }
    if (authorization != null) {
      if (authorization.length() <= BEARER.length()
          || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        throw new DomainException(Reason.TOKEN_INVALID, "use the Bearer authorization scheme");
      }
      return Optional.of(authenticator.bearer(authorization.substring(BEARER.length())));
    }
    if (apiKey != null) {
      return Optional.of(authenticator.apiKey(apiKey));
    }
    return Optional.empty();
  }

  private static String single(Metadata headers, Metadata.Key<String> key) {
    Iterable<String> values = headers.getAll(key);
    if (values == null) {
      return null;
    }
    List<String> all = new ArrayList<>();
    values.forEach(all::add);
    if (all.size() != 1) {
      throw new DomainException(Reason.TOKEN_INVALID, "send exactly one " + key.name() + " header");
    }
    String value = all.getFirst();
    if (value.length() > MAX_CREDENTIAL_CHARS) {
      throw new DomainException(Reason.TOKEN_INVALID, key.name() + " header too large");
    }
    return value;
  }

  private static List<String> forwardedFor(Metadata headers) {
    Iterable<String> values = headers.getAll(FORWARDED_FOR);
    List<String> all = new ArrayList<>();
    if (values != null) {
      values.forEach(all::add);
    }
    return all;
  }
}
