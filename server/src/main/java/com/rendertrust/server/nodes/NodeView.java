package com.rendertrust.server.nodes;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A node as its operator and administrators see it. */
public record NodeView(
    UUID id,
    String name,
    String status,
    List<String> capabilities,
    int slots,
    int activeJobs,
    double currentLoad,
    Optional<Instant> lastHeartbeatAt,
    Optional<UUID> operatorId,
    boolean verified,
    String adminState,
    Instant createdAt) {

  public NodeView {
    capabilities = List.copyOf(capabilities);
  }
}
