package com.rendertrust.server.platform.auth;

import java.util.Objects;
import java.util.UUID;

/** The authenticated principal of a call: a user (or admin) id, or a node id. */
public record Caller(UUID id, Role role) {

  public Caller {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(role, "role");
  }
}
