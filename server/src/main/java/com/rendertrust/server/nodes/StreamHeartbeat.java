package com.rendertrust.server.nodes;

import com.rendertrust.api.v1.NodeHeartbeat;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * A stream's heartbeat frame. It touches no state of its session, so the session handles it
 * without its lock: the write waits out its batch's window ({@link HeartbeatBatch}), and the
 * session keeps delivering dispatches and cancels to the node meanwhile.
 */
final class StreamHeartbeat {

  private StreamHeartbeat() {
  }

  /**
   * Records the heartbeat, then fills the node if it can take jobs. Throws when the stream no
   * longer holds its node, unless a drain (of this stream: {@code draining}) closed it meanwhile.
   */
  static void write(StreamContext context, UUID nodeId, UUID sessionId, NodeHeartbeat heartbeat,
      BooleanSupplier draining) {
    if (draining.getAsBoolean()) {
      return; // the node no longer holds a stream in the database; it is only finishing its jobs
    }
    Optional<NodeState> state = context.nodes().streamHeartbeat(nodeId, sessionId, heartbeat.getCurrentLoad(),
        Frames.metadata(heartbeat));
    if (state.isEmpty()) {
      if (draining.getAsBoolean()) {
        return;
      }
      throw NodeSession.replaced();
    }
    context.sessions().refreshPresence(nodeId);
    if (!draining.getAsBoolean() && state.get().canTakeJobs()) {
      context.scheduler().fillNode(nodeId); // the notification syncs the session
    }
  }
}
