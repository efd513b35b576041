package com.rendertrust.server.platform.auth;

import java.util.Objects;
import java.util.UUID;

/**
 * What a verified node token says about itself: the node it is for, the registration that
 * issued it (whose challenge must be signed before heartbeats and streams accept the token) and
 * the key it was issued for, as the lowercase hex SHA-256 of the raw 32-byte Ed25519 key. The
 * nodes feature decides, from its own state, whether the token is usable now.
 */
public record NodeToken(UUID nodeId, UUID registrationId, String keyThumbprint) {

  public NodeToken {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(registrationId, "registrationId");
    Objects.requireNonNull(keyThumbprint, "keyThumbprint");
  }
}
