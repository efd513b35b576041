package com.rendertrust.server.operators;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.OperatorEarnings;
import com.rendertrust.server.jobs.NodeWork;
import com.rendertrust.server.nodes.NodeDirectory;
import com.rendertrust.server.nodes.NodeView;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What an operator sees of its fleet and its money: its nodes (from the nodes feature) with the
 * tasks each completed (jobs) and what each earned (credits, split over nodes by
 * {@link EarningsAttribution}), and its earnings account with one entry per job and node.
 */
public final class OperatorViews {

  /** A node of the operator with its work and earnings. */
  public record OperatorNode(NodeView node, int tasksCompleted, CreditAmount earned) {
  }

  /** One job's earning on one node (no node: the work is not known). */
  public record Entry(UUID jobId, Optional<UUID> nodeId, CreditAmount amount, Instant createdAt) {
  }

  /** The earnings account and one page of its entries. */
  public record Earnings(CreditAmount balance, CreditAmount totalEarned, CreditAmount paidOut, List<Entry> entries,
      int count) {

    public Earnings {
      entries = List.copyOf(entries);
    }
  }

  private final NodeDirectory nodes;
  private final NodeWork work;
  private final OperatorEarnings earnings;

  public OperatorViews(NodeDirectory nodes, NodeWork work, OperatorEarnings earnings) {
    this.nodes = nodes;
    this.work = work;
    this.earnings = earnings;
  }

  /** The operator's nodes, newest first. */
  public List<OperatorNode> nodes(UUID operatorId) {
    List<NodeView> fleet = nodes.ofOperator(operatorId);
    List<UUID> ids = fleet.stream().map(NodeView::id).toList();
    Map<UUID, Integer> tasks = work.tasksCompleted(ids);
    Map<UUID, Long> earned = new HashMap<>();
    for (Entry entry : entries(operatorId, ids, earnings.of(operatorId))) {
      entry.nodeId().ifPresent(node -> earned.merge(node, entry.amount().units(), Long::sum));
    }
    return fleet.stream()
        .map(node -> new OperatorNode(node, tasks.getOrDefault(node.id(), 0),
            new CreditAmount(earned.getOrDefault(node.id(), 0L))))
        .toList();
  }

  /**
   * The operator's earnings with one page of entries, newest first; {@code limit} 0 means 50.
   * 422 for a limit outside 0..200 or a negative offset.
   */
  public Earnings earnings(UUID operatorId, int limit, int offset) {
    if (limit < 0 || limit > CreditService.MAX_PAGE_SIZE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + CreditService.MAX_PAGE_SIZE,
          Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    int pageSize = limit == 0 ? CreditService.DEFAULT_PAGE_SIZE : limit;
    OperatorEarnings.Summary summary = earnings.of(operatorId);
    List<UUID> ids = nodes.ofOperator(operatorId).stream().map(NodeView::id).toList();
    List<Entry> all = entries(operatorId, ids, summary);
    List<Entry> page = offset >= all.size() ? List.of() : all.subList(offset, Math.min(all.size(), offset + pageSize));
    return new Earnings(summary.balance(), summary.totalEarned(), summary.paidOut(), page, all.size());
  }

  private List<Entry> entries(UUID operatorId, List<UUID> nodeIds, OperatorEarnings.Summary summary) {
    Map<UUID, Map<UUID, Long>> workByJob = work.workByJob(nodeIds);
    List<Entry> entries = new ArrayList<>();
    for (OperatorEarnings.JobEarning job : summary.jobs()) {
      for (EarningsAttribution.Part part : EarningsAttribution.split(job.amount(),
          workByJob.getOrDefault(job.jobId(), Map.of()))) {
        entries.add(new Entry(job.jobId(), part.nodeId(), part.amount(), job.createdAt()));
      }
    }
    return entries;
  }
}
