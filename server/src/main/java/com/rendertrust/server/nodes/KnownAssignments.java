package com.rendertrust.server.nodes;

import com.rendertrust.server.jobs.HeldAssignment;
import com.rendertrust.server.jobs.JobStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The assignments one stream told its node about (assignment id to job id: an assignment names
 * one task, and one node may run several tasks of one job), and their reconciliation with the
 * ones the database says the node holds (the truth, possibly changed by another replica). Pure
 * bookkeeping: no I/O, time passed in; {@link NodeSession} guards it with its lock.
 */
final class KnownAssignments {

  /** Progress of one task is stored at most this often (the lifecycle enforces it; this spares the database). */
  static final long PROGRESS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Map<UUID, UUID> known = new HashMap<>();
  /** Assignments whose result the node sent and the server is still writing: known until it is written. */
  private final Set<UUID> reported = new HashSet<>();
  /** When progress of an assignment was last stored (System.nanoTime). */
  private final Map<UUID, Long> progressStoredNanos = new HashMap<>();

  /**
   * What a sync must tell the node, in this order (so an agent that keys work by job id stops an
   * old attempt before it starts a new one of the same job).
   *
   * @param withdrawn assignment id to job id of assignments the node no longer holds; already forgotten
   * @param toDispatch DISPATCHED assignments the node has not been sent; each becomes known through
   *     {@link #dispatched} once its dispatch is on its way
   */
  record Reconciliation(Map<UUID, UUID> withdrawn, List<HeldAssignment> toDispatch) {
  }

  /**
   * Compares what the node was told with {@code held}, what it holds now: forgets the withdrawn
   * ones and adopts the RUNNING ones it was not told about here (it runs them already, e.g. since
   * an earlier stream).
   */
  Reconciliation reconcile(List<HeldAssignment> held) {
    Set<UUID> current = new HashSet<>();
    held.forEach(assignment -> current.add(assignment.assignmentId()));
    Map<UUID, UUID> withdrawn = new LinkedHashMap<>();
    List<UUID> ended = new ArrayList<>();
    known.forEach((assignmentId, jobId) -> {
      if (current.contains(assignmentId)) {
        return;
      }
      if (reported.contains(assignmentId)) {
        ended.add(assignmentId); // its result just ended it: nothing to tell the node
      } else {
        withdrawn.put(assignmentId, jobId);
      }
    });
    ended.forEach(this::forget);
    withdrawn.keySet().forEach(this::forget);
    List<HeldAssignment> toDispatch = new ArrayList<>();
    for (HeldAssignment assignment : held) {
      if (known.containsKey(assignment.assignmentId())) {
        continue;
      }
      if (assignment.status() == JobStatus.DISPATCHED) {
        toDispatch.add(assignment);
      } else {
        known.put(assignment.assignmentId(), assignment.jobId());
      }
    }
    return new Reconciliation(withdrawn, toDispatch);
  }

  /**
   * After the hello: of what the node says it still runs ({@code running}), all but what the
   * database {@code withdrew} are known.
   */
  void resume(Map<UUID, UUID> running, Map<UUID, UUID> withdrawn) {
    running.forEach((assignmentId, jobId) -> {
      if (!withdrawn.containsKey(assignmentId)) {
        known.put(assignmentId, jobId);
      }
    });
  }

  /** The dispatch of {@code assignment} is on its way to the node. */
  void dispatched(HeldAssignment assignment) {
    known.put(assignment.assignmentId(), assignment.jobId());
  }

  /** The node accepted the assignment and the database confirmed it holds it. */
  void accepted(UUID jobId, UUID assignmentId) {
    known.put(assignmentId, jobId);
  }

  /** Whether the node was told about {@code assignmentId}. */
  boolean knows(UUID assignmentId) {
    return known.containsKey(assignmentId);
  }

  /** Whether the node was told it holds {@code assignmentId} of {@code jobId}. */
  boolean holds(UUID jobId, UUID assignmentId) {
    return jobId.equals(known.get(assignmentId));
  }

  /**
   * Whether a progress report of {@code assignmentId} arriving at {@code nowNanos} should be
   * stored (at most once per {@link #PROGRESS_INTERVAL_NANOS}); if so, it counts as stored now.
   */
  boolean progressDue(UUID assignmentId, long nowNanos) {
    Long last = progressStoredNanos.get(assignmentId);
    if (last != null && nowNanos - last < PROGRESS_INTERVAL_NANOS) {
      return false;
    }
    progressStoredNanos.put(assignmentId, nowNanos);
    return true;
  }

  /**
   * The node sent the result of {@code assignmentId}, which is being written: until {@link
   * #resultWritten}, a sync that finds it ended does not withdraw it from the node.
   */
  void resultSent(UUID assignmentId) {
    reported.add(assignmentId);
  }

  /** The result sent for {@code assignmentId} was written: forgotten unless it was {@code stale}. */
  void resultWritten(UUID jobId, UUID assignmentId, boolean stale) {
    reported.remove(assignmentId);
    if (!stale) {
      forget(jobId, assignmentId);
    }
  }

  /** The assignment ended (the node's result, or a stale report): forgotten (if it names {@code jobId}). */
  void forget(UUID jobId, UUID assignmentId) {
    known.remove(assignmentId, jobId);
    progressStoredNanos.remove(assignmentId);
  }

  private void forget(UUID assignmentId) {
    known.remove(assignmentId);
    progressStoredNanos.remove(assignmentId);
  }

  /** The assignments the node was told about. */
  java.util.Set<UUID> assignmentIds() {
    return java.util.Set.copyOf(known.keySet());
  }

  boolean isEmpty() {
    return known.isEmpty();
  }

  int size() {
    return known.size();
  }
}
