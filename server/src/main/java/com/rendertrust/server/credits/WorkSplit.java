package com.rendertrust.server.credits;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Who did the work a captured price pays for: units of work (a render job's frames) per operator
 * user id, out of {@code totalWork}. The work no operator did (nodes without an operator) is the
 * platform's. Each operator earns the operator share of its part of the price, rounded down; the
 * platform gets the rest, so the parts always add up to the price.
 */
public record WorkSplit(Map<UUID, Long> workByOperator, long totalWork) {

  public WorkSplit {
    workByOperator = Map.copyOf(workByOperator);
    long operatorWork = 0;
    for (long work : workByOperator.values()) {
      if (work <= 0) {
        throw new IllegalArgumentException("an operator's work must be positive, got " + work);
      }
      operatorWork = Math.addExact(operatorWork, work);
    }
    if (totalWork <= 0 || operatorWork > totalWork) {
      throw new IllegalArgumentException("total work must be positive and cover the operators' " + operatorWork
          + ", got " + totalWork);
    }
  }

  /** All the work done by one operator, or by nobody's node when {@code operatorId} is null. */
  public static WorkSplit solely(UUID operatorId) {
    return new WorkSplit(operatorId == null ? Map.of() : Map.of(operatorId, 1L), 1);
  }

  /** The operator a capture records on its hold: present when exactly one operator is paid. */
  public Optional<UUID> soleOperator() {
    return workByOperator.size() == 1 ? Optional.of(workByOperator.keySet().iterator().next()) : Optional.empty();
  }
}
