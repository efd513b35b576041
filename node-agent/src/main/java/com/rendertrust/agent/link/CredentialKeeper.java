package com.rendertrust.agent.link;

import com.google.protobuf.Struct;
import com.rendertrust.agent.identity.IdentityStore;
import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.identity.TokenClaims;
import java.io.IOException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node token valid while the agent runs. The contract has no refresh call for node
 * tokens, so renewal is what the contract offers: RegisterNode again with the same key (same node
 * id, fresh token and challenge) and ProveNode at once: the new token works only once proven,
 * while the old one keeps working and the node stays as it is until then (docs/security.md). It
 * happens when 80 % of the token's life has passed, and at once when the server rejects the
 * token or the key proof. The open stream is kept; the new token is used from the next stream.
 * When the server answers with another node id, or the proof could not be delivered, the stream
 * is reopened so that it runs as the renewed identity (the Hello then carries the proof).
 * The operator token is never sent again (it is short-lived and not stored); the server keeps the
 * node's existing operator link.
 */
public final class CredentialKeeper {

  private static final Logger log = LoggerFactory.getLogger(CredentialKeeper.class);
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(30);

  private final Registrar registrar;
  private final IdentityStore store;
  private final KeyPair keys;
  private final List<String> capabilities;
  private final Struct metadata;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final Consumer<String> reconnect;
  /** Serialises renewals (the schedule and a rejected stream may ask at the same time); never held with {@code this}. */
  private final Object renewLock = new Object();
  private NodeIdentity current;
  private ScheduledFuture<?> scheduled;
  private boolean closed;

  public CredentialKeeper(NodeIdentity identity, Registrar registrar, IdentityStore store, KeyPair keys,
      List<String> capabilities, Struct metadata, ScheduledExecutorService timer, Clock clock,
      Consumer<String> reconnect) {
    this.current = identity;
    this.registrar = registrar;
    this.store = store;
    this.keys = keys;
    this.capabilities = List.copyOf(capabilities);
    this.metadata = metadata;
    this.timer = timer;
    this.clock = clock;
    this.reconnect = reconnect;
  }

  public synchronized NodeIdentity current() {
    return current;
  }

  /** Starts the renewal schedule. */
  public synchronized void start() {
    scheduleNext();
  }

  /** Renews now (register + prove with the same key); the new token is stored in node.json. */
  public void renew(String why) throws RegistrationException {
    synchronized (renewLock) {
      renewSerialized(why);
    }
  }

  private void renewSerialized(String why) throws RegistrationException {
    NodeIdentity before = current();
    log.info("renewing the node token ({})", why);
    Registrar.Registration registration = registrar.register(before.name(), keys, capabilities, metadata,
        Optional.empty(), false);
    TokenClaims claims = TokenClaims.of(registration.token());
    NodeIdentity renewed = new NodeIdentity(registration.nodeId(), before.server(), before.name(), capabilities,
        registration.token(), claims.issuedAt(), claims.expiresAt(), before.registeredAt(),
        registration.unprovenChallenge());
    synchronized (this) {
      current = renewed;
      scheduleNext();
    }
    try {
      store.save(renewed);
    } catch (IOException e) {
      log.warn("the renewed token could not be written to {}: {} (the agent keeps using it)", store.file(), e.getMessage());
    }
    if (!renewed.nodeId().equals(before.nodeId())) {
      log.warn("the server now knows this key as node {} (was {}); reconnecting as the new node",
          renewed.nodeId(), before.nodeId());
      reconnect.accept("node id changed");
    } else if (registration.unprovenChallenge().isPresent()) {
      // The new token is good for the proof only; the Hello of the next stream carries the proof.
      log.warn("token renewed but the key proof could not be delivered; reconnecting so that Hello carries it");
      reconnect.accept("key proof pending");
    } else {
      log.info("node token renewed; valid until {}", claims.expiresAt().map(Instant::toString).orElse("<unknown>"));
    }
  }

  /** The Hello that carried the pending proof was answered with Welcome: the proof was accepted. */
  public synchronized void proofAccepted(String challenge) {
    if (current.pendingChallenge().filter(challenge::equals).isPresent()) {
      current = current.withPendingChallenge(Optional.empty());
    }
  }

  public synchronized void close() {
    closed = true;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
  }

  private void scheduleNext() {
    if (closed) {
      return;
    }
    if (scheduled != null) {
      scheduled.cancel(false);
      scheduled = null;
    }
    Optional<Instant> renewAt = current.renewAt();
    if (renewAt.isEmpty()) {
      log.debug("the node token carries no expiry; no scheduled renewal");
      return;
    }
    long delay = Math.max(0, Duration.between(clock.instant(), renewAt.get()).toMillis());
    scheduled = timer.schedule(this::scheduledRenewal, delay, TimeUnit.MILLISECONDS);
  }

  private void scheduledRenewal() {
    try {
      renew("the token expires at " + current().tokenExpiresAt().map(Instant::toString).orElse("?"));
    } catch (RegistrationException | RuntimeException e) {
      log.warn("token renewal failed, retrying in {} s: {}", RETRY_AFTER_FAILURE.toSeconds(), e.getMessage());
      synchronized (this) {
        if (!closed) {
          scheduled = timer.schedule(this::scheduledRenewal, RETRY_AFTER_FAILURE.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }
  }
}
