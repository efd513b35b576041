package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.NODES;

import java.util.Arrays;
import java.util.List;
import org.jooq.Record;

/** What a node can take from the queue right now: its job types, GPU, and free slots (0 unless eligible). */
record NodeCapacity(List<String> capabilities, boolean hasGpu, int freeSlots) {

  static final NodeCapacity NONE = new NodeCapacity(List.of(), false, 0);

  /**
   * From a row with the node's status, verified, stream_session, slots, active_jobs, capabilities,
   * has_gpu and admin_state (a node drained or disabled by an administrator takes nothing).
   */
  static NodeCapacity of(Record node) {
    boolean eligible = "HEALTHY".equals(node.get(NODES.STATUS)) && Boolean.TRUE.equals(node.get(NODES.VERIFIED))
        && node.get(NODES.STREAM_SESSION) != null && "ACTIVE".equals(node.get(NODES.ADMIN_STATE));
    String[] capabilities = node.get(NODES.CAPABILITIES);
    if (!eligible || capabilities == null || capabilities.length == 0) {
      return NONE;
    }
    int free = Math.max(0, node.get(NODES.SLOTS) - node.get(NODES.ACTIVE_JOBS));
    return new NodeCapacity(Arrays.asList(capabilities), Boolean.TRUE.equals(node.get(NODES.HAS_GPU)), free);
  }
}
