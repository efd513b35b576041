package com.rendertrust.server.operators;

import com.rendertrust.server.credits.CreditAmount;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Splits one job's earning over the operator's nodes that did its work, in proportion to each
 * node's work, rounded down; the rounding remainder goes to the node with the most work (the
 * first of equals), so the parts add up to the earning exactly. Without known work the earning
 * stays one part without a node.
 */
final class EarningsAttribution {

  /** One node's part of an earning; no node when the work is unknown. */
  record Part(Optional<UUID> nodeId, CreditAmount amount) {
  }

  private EarningsAttribution() {
  }

  /** {@code workByNode} in a stable order (its iteration order decides ties). */
  static List<Part> split(CreditAmount earning, Map<UUID, Long> workByNode) {
    long total = workByNode.values().stream().mapToLong(Long::longValue).sum();
    if (workByNode.isEmpty() || total <= 0) {
      return List.of(new Part(Optional.empty(), earning));
    }
    List<Part> parts = new ArrayList<>(workByNode.size());
    long assigned = 0;
    int largest = 0;
    long largestWork = -1;
    for (Map.Entry<UUID, Long> node : workByNode.entrySet()) {
      long part = Math.multiplyExact(earning.units(), node.getValue()) / total;
      if (node.getValue() > largestWork) {
        largestWork = node.getValue();
        largest = parts.size();
      }
      parts.add(new Part(Optional.of(node.getKey()), new CreditAmount(part)));
      assigned += part;
    }
    Part withRemainder = parts.get(largest);
    parts.set(largest, new Part(withRemainder.nodeId(),
        new CreditAmount(withRemainder.amount().units() + earning.units() - assigned)));
    return parts;
  }
}
