package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.Role;
import java.util.UUID;

/** A creator account as its owner sees it (never the password hash). */
public record Account(UUID id, String email, String name, boolean active, Role role) {
}
