package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.auth.Role;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The claims of a JWT whose signature, type, issuer, audience and lifetime have been checked
 * (not yet whether it was revoked).
 *
 * @param subject   the user id (access, refresh) or node id (node)
 * @param sessionId the refresh family the token belongs to (access, refresh)
 * @param role      USER or ADMIN for user tokens, NODE for node tokens
 * @param node      the registration and key a node token was issued for (node tokens)
 */
public record VerifiedToken(TokenType type, UUID subject, UUID jti, Optional<UUID> sessionId, Role role,
    Instant issuedAt, Instant expiresAt, Optional<NodeToken> node) {
}
