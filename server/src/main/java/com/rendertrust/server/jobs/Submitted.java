package com.rendertrust.server.jobs;

import java.util.List;
import java.util.UUID;

/**
 * A committed submission: its outcome, with the node and assignment of each task it dispatched
 * (same order), which the nodes are told after the commit.
 */
record Submitted(DispatchOutcome outcome, List<UUID> taskNodes, List<UUID> assignments) {
}
