package com.rendertrust.server.nodes;

import io.grpc.stub.CallStreamObserver;
import java.util.ArrayDeque;

/**
 * The outbound side of a stream: frames are written only while the transport says it is ready
 * ({@code isReady}, i.e. the peer's flow-control window has room) and otherwise wait here, at
 * most {@code capacity} of them; the transport's on-ready callback drains the rest. A peer that
 * stops reading therefore costs a bounded amount of memory: past the capacity the owner ends
 * the stream. The call is closed exactly once, and nothing is written after that.
 */
final class Outbox<T> {

  enum Offer { ACCEPTED, FULL, CLOSED }

  private final CallStreamObserver<T> out;
  private final int capacity;
  private final ArrayDeque<T> waiting = new ArrayDeque<>();
  private boolean closed;

  Outbox(CallStreamObserver<T> out, int capacity) {
    this.out = out;
    this.capacity = capacity;
  }

  synchronized Offer offer(T frame) {
    if (closed) {
      return Offer.CLOSED;
    }
    if (waiting.size() >= capacity) {
      return Offer.FULL;
    }
    waiting.add(frame);
    drain();
    return Offer.ACCEPTED;
  }

  /** Writes waiting frames while the transport is ready; called again by its on-ready callback. */
  synchronized void drain() {
    while (!closed && !waiting.isEmpty() && out.isReady()) {
      out.onNext(waiting.poll());
    }
  }

  /**
   * Closes the call (with {@code failure}'s status, or OK when null) if {@code tell}, otherwise
   * only stops writing (the peer is gone). Returns false when it was already closed.
   */
  synchronized boolean close(Throwable failure, boolean tell) {
    if (closed) {
      return false;
    }
    closed = true;
    waiting.clear();
    if (tell) {
      try {
        if (failure == null) {
          out.onCompleted();
        } else {
          out.onError(failure);
        }
      } catch (RuntimeException alreadyClosed) {
        // the transport closed it first (e.g. cancelled); nothing more to tell
      }
    }
    return true;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized int waiting() {
    return waiting.size();
  }
}
