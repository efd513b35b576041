package com.rendertrust.sdk;

import com.rendertrust.api.v1.GetOperatorEarningsRequest;
import com.rendertrust.api.v1.GetOperatorEarningsResponse;
import com.rendertrust.api.v1.ListOperatorNodesRequest;
import com.rendertrust.api.v1.OperatorServiceGrpc;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * For node operators: the caller's own nodes and what they earned (70 % of every job they
 * complete, in an earnings account apart from the credit balance). Get it from
 * {@link RenderTrustClient#operators()}.
 */
public final class Operators {

  /** One of the caller's nodes; {@code lastHeartbeatAt} is null before its first heartbeat. */
  public record Node(String id, String name, String status, List<String> capabilities, int slots, int activeJobs,
      double currentLoad, Instant lastHeartbeatAt, int tasksCompleted, BigDecimal earned) {

    public Node {
      capabilities = List.copyOf(capabilities);
    }
  }

  /** One job's earning on one node; negative when a refund reversed it; {@code nodeId} null when unknown. */
  public record Entry(BigDecimal amount, String jobId, String nodeId, Instant createdAt) {
  }

  /** The earnings account and one page of its entries (newest first); {@code count} counts them all. */
  public record Earnings(BigDecimal balance, BigDecimal totalEarned, BigDecimal paidOut, List<Entry> entries,
      long count) {

    public Earnings {
      entries = List.copyOf(entries);
    }
  }

  private final StubCaller<OperatorServiceGrpc.OperatorServiceBlockingStub> caller;

  Operators(StubCaller<OperatorServiceGrpc.OperatorServiceBlockingStub> caller) {
    this.caller = caller;
  }

  /** The caller's nodes, newest first (empty for a user without nodes). */
  public List<Node> nodes() {
    return caller.call(stub -> stub.listOperatorNodes(ListOperatorNodesRequest.getDefaultInstance()))
        .getNodesList().stream()
        .map(node -> new Node(node.getId(), node.getName(), node.getStatus(), node.getCapabilitiesList(),
            node.getSlots(), node.getActiveJobs(), node.getCurrentLoad(),
            node.hasLastHeartbeatAt() ? Mapping.instant(node.getLastHeartbeatAt()) : null,
            node.getTasksCompleted(), new BigDecimal(node.getEarned())))
        .toList();
  }

  /** The caller's earnings with one page of entries; {@code limit} 1..200 ({@link ValidationException} otherwise). */
  public Earnings earnings(int limit, int offset) {
    GetOperatorEarningsResponse response = caller.call(stub -> stub.getOperatorEarnings(
        GetOperatorEarningsRequest.newBuilder().setLimit(limit).setOffset(offset).build()));
    return new Earnings(new BigDecimal(response.getBalance()), new BigDecimal(response.getTotalEarned()),
        new BigDecimal(response.getPaidOut()),
        response.getEntriesList().stream()
            .map(entry -> new Entry(new BigDecimal(entry.getAmount()), entry.getJobId(),
                entry.hasNodeId() ? entry.getNodeId() : null, Mapping.instant(entry.getCreatedAt())))
            .toList(),
        response.getCount());
  }

  /** The first 50 entries. */
  public Earnings earnings() {
    return earnings(50, 0);
  }
}
