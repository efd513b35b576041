package com.rendertrust.server.nodes;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The first frame of a node's stream, as domain values.
 *
 * @param capabilities job types it runs now (empty: keep the registered ones)
 * @param slots jobs it runs at once (0: one)
 * @param running job id to assignment id of the jobs it still runs from an earlier stream
 * @param signature challenge signature, when it has not proven its key yet
 */
public record NodeHello(List<String> capabilities, int slots, Map<UUID, UUID> running, String agentVersion,
    Optional<String> signature) {
}
