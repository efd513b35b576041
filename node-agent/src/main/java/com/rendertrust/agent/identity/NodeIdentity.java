package com.rendertrust.agent.identity;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who this node is to the control plane, as stored in {@code node.json} (mode 0600: it holds the
 * node token).
 *
 * @param server the control plane URL the node registered with
 * @param capabilities the job types sent at registration
 * @param token the node JWT
 * @param tokenIssuedAt {@code iat} of the token, if it carries one
 * @param tokenExpiresAt {@code exp} of the token, if it carries one
 * @param pendingChallenge a challenge the server issued whose proof has not been accepted yet:
 *     the next Connect {@code Hello} carries its signature (memory only, never written to disk)
 */
public record NodeIdentity(
    String nodeId,
    String server,
    String name,
    List<String> capabilities,
    String token,
    Optional<Instant> tokenIssuedAt,
    Optional<Instant> tokenExpiresAt,
    Instant registeredAt,
    Optional<String> pendingChallenge) {

  public NodeIdentity {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(token, "token");
    capabilities = List.copyOf(capabilities);
  }

  public NodeIdentity withPendingChallenge(Optional<String> challenge) {
    return new NodeIdentity(nodeId, server, name, capabilities, token, tokenIssuedAt, tokenExpiresAt, registeredAt,
        challenge);
  }

  /**
   * When to renew the token: once 80 % of its life has passed (about 4.8 h before a 24 h token
   * expires, leaving room for a server outage), or one hour before {@code exp} when the token
   * has no {@code iat}. Empty when the token carries no expiry at all.
   */
  public Optional<Instant> renewAt() {
    if (tokenExpiresAt.isEmpty()) {
      return Optional.empty();
    }
    Instant expires = tokenExpiresAt.get();
    if (tokenIssuedAt.isPresent() && tokenIssuedAt.get().isBefore(expires)) {
      long lifeMillis = expires.toEpochMilli() - tokenIssuedAt.get().toEpochMilli();
      return Optional.of(tokenIssuedAt.get().plusMillis(lifeMillis * 4 / 5));
    }
    return Optional.of(expires.minusSeconds(3600));
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "NodeIdentity[nodeId=" + nodeId + ", server=" + server + ", name=" + name + ", capabilities=" + capabilities
        + ", token=***, tokenExpiresAt=" + tokenExpiresAt.map(Instant::toString).orElse("<unknown>") + "]";
  }
}
