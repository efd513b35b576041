package com.rendertrust.server.platform.auth;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.Context;
import java.util.Optional;
import java.util.UUID;

/**
 * Where the authentication interceptor leaves the caller for the gRPC adapters of a call.
 * Adapters read it and pass plain ids to domain code, which never sees gRPC.
 */
public final class CallerContext {

  public static final Context.Key<Caller> KEY = Context.key("rendertrust-caller");

  /**
   * The client's IP address as the access-control interceptor resolved it (the socket peer, or
   * the {@code X-Forwarded-For} entry named by a trusted proxy); the key of per-client limits.
   */
  public static final Context.Key<String> CLIENT_ADDRESS = Context.key("rendertrust-client-address");

  /** The claims of the call's node token (set with a caller of role NODE). */
  public static final Context.Key<NodeToken> NODE_TOKEN = Context.key("rendertrust-node-token");

  private CallerContext() {
  }

  public static Optional<Caller> current() {
    return Optional.ofNullable(KEY.get());
  }

  /** The client address of the call; "unknown" outside a call (never null, so it can key a limit). */
  public static String clientAddress() {
    String address = CLIENT_ADDRESS.get();
    return address == null ? "unknown" : address;
  }

  /** The calling user's id (admins are users too); UNAUTHENTICATED when the call carries no user. */
  public static UUID requireUser() {
    Caller caller = KEY.get();
    if (caller == null || caller.role() == Role.NODE) {
      throw new DomainException(Reason.UNAUTHENTICATED, "authentication required");
    }
    return caller.id();
  }

  /** The calling node's id; UNAUTHENTICATED when the call carries no node token. */
  public static UUID requireNode() {
    Caller caller = KEY.get();
    if (caller == null || caller.role() != Role.NODE) {
      throw new DomainException(Reason.UNAUTHENTICATED, "node authentication required");
    }
    return caller.id();
  }

  /** The calling node's token claims; UNAUTHENTICATED when the call carries no node token. */
  public static NodeToken requireNodeToken() {
    UUID nodeId = requireNode();
    NodeToken token = NODE_TOKEN.get();
    if (token == null || !token.nodeId().equals(nodeId)) {
      throw new DomainException(Reason.UNAUTHENTICATED, "node authentication required");
    }
    return token;
  }
}
