package com.rendertrust.server.jobs;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A committed submission: its outcome, with the node and assignment of each task it dispatched
 * (same order), which the nodes are told after the commit. {@code dispatch}, when the writer
 * knows it, is the one dispatched task exactly as a read of it would find it after the commit, so
 * its node's stream can deliver it without that read.
 */
record Submitted(DispatchOutcome outcome, List<UUID> taskNodes, List<UUID> assignments,
    Optional<ActiveAssignment> dispatch) {

  Submitted(DispatchOutcome outcome, List<UUID> taskNodes, List<UUID> assignments) {
    this(outcome, taskNodes, assignments, Optional.empty());
  }
}
