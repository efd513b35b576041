package com.rendertrust.server.nodes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit of stream heartbeats. With 10,000 streams heartbeating every 30 s a replica gets
 * hundreds of heartbeats a second; one UPDATE each is mostly round trips and commits. Heartbeats
 * arriving within {@link #WINDOW} of each other are written by one set-based UPDATE instead, and
 * each caller gets its own node's answer, as if it had written alone (empty: the stream is no
 * longer the node's). A heartbeat thereby waits at most the window plus one write.
 *
 * <p>No thread of its own: the first heartbeat of a round starts a virtual thread that waits out
 * the window, writes everything pending, and ends once nothing is left.
 */
final class HeartbeatBatch {

  /** Short against the heartbeat interval (30 s) and the goal for a heartbeat's handling (50 ms). */
  static final Duration WINDOW = Duration.ofMillis(20);

  /** One stream's heartbeat. */
  record Beat(UUID nodeId, UUID session, double currentLoad) {
  }

  private record Pending(Beat beat, CompletableFuture<Optional<NodeState>> answer) {
  }

  /** Writes a batch (session ids unique in it); answers by session id, absent when the session no longer holds its node. */
  private final Function<List<Beat>, Map<UUID, NodeState>> write;
  private final Object lock = new Object();
  private List<Pending> pending = new ArrayList<>();
  private boolean flushing;

  HeartbeatBatch(Function<List<Beat>, Map<UUID, NodeState>> write) {
    this.write = write;
  }

  /** Records {@code beat} with the others of its window; the node's state, or empty when the stream was replaced. */
  Optional<NodeState> record(Beat beat) {
    CompletableFuture<Optional<NodeState>> answer = new CompletableFuture<>();
    boolean startFlusher;
    synchronized (lock) {
      pending.add(new Pending(beat, answer));
      startFlusher = !flushing;
      flushing = true;
    }
    if (startFlusher) {
      Thread.ofVirtual().name("rt-heartbeats").start(this::flushWhilePending);
    }
    try {
      return answer.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure; // as if this heartbeat had been written alone (e.g. the database's 503)
      }
      throw e;
    }
  }

  private void flushWhilePending() {
    while (true) {
      try {
        Thread.sleep(WINDOW);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // write what is pending anyway: its callers wait for it
      }
      List<Pending> batch;
      synchronized (lock) {
        batch = pending;
        pending = new ArrayList<>();
        if (batch.isEmpty()) {
          flushing = false;
          return;
        }
      }
      flush(batch);
    }
  }

  private void flush(List<Pending> batch) {
    // A session waits for its answer before it sends the next frame, so it is in a batch once at most.
    try {
      Map<UUID, NodeState> states = write.apply(batch.stream().map(Pending::beat).toList());
      batch.forEach(p -> p.answer().complete(Optional.ofNullable(states.get(p.beat().session()))));
    } catch (RuntimeException | Error e) {
      batch.forEach(p -> p.answer().completeExceptionally(e));
    }
  }
}
