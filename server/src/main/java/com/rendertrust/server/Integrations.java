package com.rendertrust.server;

import com.rendertrust.server.jobs.JobBilling;
import com.rendertrust.server.nodes.NodeTokens;
import io.grpc.ServerInterceptor;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the composition root takes from features built elsewhere: money for jobs (the credits
 * ledger's holds), node credentials (identity's node JWTs), and the interceptors that
 * authenticate callers into {@code CallerContext}. Jobs and nodes are served only when both
 * {@code billing} and {@code nodeTokens} are present; until then their RPCs answer UNIMPLEMENTED.
 *
 * @param callerInterceptors innermost first; they run inside the error model, so a
 *     {@code DomainException} they throw becomes the documented error
 * @param clock the time every feature reads (tests may move it)
 */
public record Integrations(Optional<JobBilling> billing, Optional<NodeTokens> nodeTokens,
    List<ServerInterceptor> callerInterceptors, Clock clock) {

  public Integrations {
    Objects.requireNonNull(billing, "billing");
    Objects.requireNonNull(nodeTokens, "nodeTokens");
    callerInterceptors = List.copyOf(callerInterceptors);
    Objects.requireNonNull(clock, "clock");
  }

  /** Nothing integrated yet: the foundation's own services only. */
  public static Integrations none() {
    return new Integrations(Optional.empty(), Optional.empty(), List.of(), Clock.systemUTC());
  }

  public boolean jobsEnabled() {
    return billing.isPresent() && nodeTokens.isPresent();
  }
}
