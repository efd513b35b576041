package com.rendertrust.sdk;

import com.rendertrust.api.v1.CreatePayoutRequest;
import com.rendertrust.api.v1.GetOperatorEarningsRequest;
import com.rendertrust.api.v1.GetOperatorEarningsResponse;
import com.rendertrust.api.v1.ListOperatorNodesRequest;
import com.rendertrust.api.v1.ListPayoutsRequest;
import com.rendertrust.api.v1.OperatorServiceGrpc;
import com.rendertrust.api.v1.PayoutServiceGrpc;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * For node operators: the caller's own nodes, what they earned (70 % of every job they
 * complete, in an earnings account apart from the credit balance) and payouts of earnings to a
 * wallet as tokens. Get it from {@link RenderTrustClient#operators()}.
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

  /**
   * A payout of earnings to a wallet: PENDING, SUBMITTED, then CONFIRMED, or FAILED (the amount
   * went back to earnings); {@code txHash} null until the transfer is sent.
   */
  public record Payout(String id, BigDecimal amount, String tokenAmount, String walletAddress, String status,
      String txHash, Instant createdAt) {

    static Payout of(com.rendertrust.api.v1.Payout payout) {
      return new Payout(payout.getId(), new BigDecimal(payout.getAmount()), payout.getTokenAmount(),
          payout.getWalletAddress(), payout.getStatus(), payout.hasTxHash() ? payout.getTxHash() : null,
          Mapping.instant(payout.getCreatedAt()));
    }
  }

  private final StubCaller<OperatorServiceGrpc.OperatorServiceBlockingStub> caller;
  private final StubCaller<PayoutServiceGrpc.PayoutServiceBlockingStub> payouts;

  Operators(StubCaller<OperatorServiceGrpc.OperatorServiceBlockingStub> caller,
      StubCaller<PayoutServiceGrpc.PayoutServiceBlockingStub> payouts) {
    this.caller = caller;
    this.payouts = payouts;
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

  /**
   * Pays {@code amount} credits of earnings out to {@code walletAddress}; the same
   * {@code referenceId} returns the same payout. {@link InsufficientCreditsException} when the
   * earnings are short, {@link ValidationException} for a bad address or amount.
   */
  public Payout payout(BigDecimal amount, String walletAddress, String referenceId) {
    return Payout.of(payouts.call(stub -> stub.createPayout(CreatePayoutRequest.newBuilder()
        .setAmount(amount.toPlainString()).setWalletAddress(walletAddress).setReferenceId(referenceId).build()))
        .getPayout());
  }

  /** The caller's payouts, newest first. */
  public List<Payout> payouts(int limit, int offset) {
    return payouts.call(stub -> stub.listPayouts(ListPayoutsRequest.newBuilder().setLimit(limit).setOffset(offset)
        .build())).getPayoutsList().stream().map(Payout::of).toList();
  }
}
