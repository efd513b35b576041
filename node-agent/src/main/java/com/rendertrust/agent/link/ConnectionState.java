package com.rendertrust.agent.link;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The link's state as the health endpoint and {@code status} show it. Thread-safe. */
public final class ConnectionState {

  public enum Phase { STARTING, CONNECTING, CONNECTED, WAITING_TO_RECONNECT, STOPPED }

  /** One consistent reading. */
  public record Snapshot(Phase phase, Optional<Instant> connectedSince, Optional<String> lastError,
      int failedAttempts, Optional<Instant> nextAttemptAt, long streamsEstablished) {

    public boolean connected() {
      return phase == Phase.CONNECTED;
    }
  }

  private final Clock clock;
  private Phase phase = Phase.STARTING;
  private Instant connectedSince;
  private String lastError;
  private int failedAttempts;
  private Instant nextAttemptAt;
  private long streamsEstablished;

  public ConnectionState(Clock clock) {
    this.clock = clock;
  }

  synchronized void connecting() {
    phase = Phase.CONNECTING;
    nextAttemptAt = null;
  }

  synchronized void connected() {
    phase = Phase.CONNECTED;
    connectedSince = clock.instant();
    failedAttempts = 0;
    streamsEstablished++;
  }

  synchronized void disconnected(String error, int attempts, Duration retryIn) {
    phase = Phase.WAITING_TO_RECONNECT;
    connectedSince = null;
    lastError = error;
    failedAttempts = attempts;
    nextAttemptAt = clock.instant().plus(retryIn);
  }

  synchronized void stopped() {
    phase = Phase.STOPPED;
    connectedSince = null;
    nextAttemptAt = null;
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(phase, Optional.ofNullable(connectedSince), Optional.ofNullable(lastError), failedAttempts,
        Optional.ofNullable(nextAttemptAt), streamsEstablished);
  }
}
