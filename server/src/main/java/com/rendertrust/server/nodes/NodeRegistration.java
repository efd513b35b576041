package com.rendertrust.server.nodes;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A node's registration request; {@code operatorUserId} is the user whose bearer came with it. */
public record NodeRegistration(String name, String publicKeyPem, List<String> capabilities, String metadataJson,
    Optional<UUID> operatorUserId) {
}
