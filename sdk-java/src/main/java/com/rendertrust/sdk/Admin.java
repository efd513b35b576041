package com.rendertrust.sdk;

import com.rendertrust.api.v1.AdjustCreditsRequest;
import com.rendertrust.api.v1.AdminServiceGrpc;
import com.rendertrust.api.v1.DeactivateUserRequest;
import com.rendertrust.api.v1.DeactivateUserResponse;
import com.rendertrust.api.v1.ListAdminJobsRequest;
import com.rendertrust.api.v1.ListAdminJobsResponse;
import com.rendertrust.api.v1.ListAdminNodesRequest;
import com.rendertrust.api.v1.ListAdminNodesResponse;
import com.rendertrust.api.v1.NodeActionRequest;
import com.rendertrust.api.v1.RefundJobRequest;
import com.rendertrust.api.v1.RefundJobResponse;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * For administrators (role ADMIN, granted with {@code ./rendertrust admin grant --email ...}; the
 * role arrives with the next login): adjustments, refunds, every user's jobs, the fleet, node
 * drain/disable/enable, user deactivation. A caller who is not an administrator gets
 * {@link PermissionDeniedException} from every call; a missing user, job or node
 * {@link NotFoundException}. Get it from {@link RenderTrustClient#admin()}.
 */
public final class Admin {

  /** A node as administrators see it; nullable: {@code lastHeartbeatAt}, {@code operatorId}. */
  public record Node(String id, String name, String status, String adminState, List<String> capabilities, int slots,
      int activeJobs, double currentLoad, Instant lastHeartbeatAt, String operatorId, boolean verified,
      Instant createdAt) {

    public Node {
      capabilities = List.copyOf(capabilities);
    }
  }

  /** A refund: the user's REFUND entry, what came back from operators' earnings, and the platform's loss. */
  public record Refund(String userId, LedgerEntry entry, BigDecimal reversedFromOperators, BigDecimal platformLoss) {
  }

  /** What deactivating a user revoked. */
  public record Deactivation(String userId, int sessionsRevoked, int apiKeysRevoked) {
  }

  private final StubCaller<AdminServiceGrpc.AdminServiceBlockingStub> caller;

  Admin(StubCaller<AdminServiceGrpc.AdminServiceBlockingStub> caller) {
    this.caller = caller;
  }

  /**
   * Credits (positive) or debits (negative) the user's account as an ADJUSTMENT; the same
   * {@code referenceId} again returns the first entry ({@link ConflictException} with another
   * amount; {@link InsufficientCreditsException} for a debit beyond the available balance).
   */
  public LedgerEntry adjustCredits(String userId, BigDecimal amount, String reason, String referenceId) {
    return Mapping.entry(caller.call(stub -> stub.adjustCredits(AdjustCreditsRequest.newBuilder()
        .setUserId(userId).setAmount(amount.toPlainString()).setReason(reason).setReferenceId(referenceId).build()))
        .getEntry());
  }

  /** Refunds a job's captured price to its user ({@link ConflictException} when nothing was captured). */
  public Refund refundJob(String jobId, String reason) {
    RefundJobResponse response = caller.call(stub -> stub.refundJob(RefundJobRequest.newBuilder()
        .setJobId(jobId).setReason(reason).build()));
    return new Refund(response.getUserId(), Mapping.entry(response.getEntry()),
        new BigDecimal(response.getReversedFromOperators()), new BigDecimal(response.getPlatformLoss()));
  }

  /** Every user's jobs, newest first; {@code status} null for any; {@code deadLettered} only those whose retries ran out. */
  public Page<Job> jobs(String status, boolean deadLettered, int limit, int offset) {
    ListAdminJobsRequest.Builder request = ListAdminJobsRequest.newBuilder().setDeadLettered(deadLettered)
        .setLimit(limit).setOffset(offset);
    if (status != null) {
      request.setStatus(status);
    }
    ListAdminJobsResponse response = caller.call(stub -> stub.listAdminJobs(request.build()));
    return new Page<>(response.getJobsList().stream().map(Mapping::job).toList(), response.getCount());
  }

  /**
   * Runs a dead-lettered job again as a new job of its user and returns the new job; a repeat
   * returns the same one ({@link ConflictException} when the job is not dead-lettered).
   */
  public Job requeueJob(String jobId) {
    return Mapping.job(caller.call(stub -> stub.requeueJob(
        com.rendertrust.api.v1.RequeueJobRequest.newBuilder().setJobId(jobId).build())).getJob());
  }

  /** Every node, newest first; {@code status} null for any. */
  public Page<Node> nodes(String status, int limit, int offset) {
    ListAdminNodesRequest.Builder request = ListAdminNodesRequest.newBuilder().setLimit(limit).setOffset(offset);
    if (status != null) {
      request.setStatus(status);
    }
    ListAdminNodesResponse response = caller.call(stub -> stub.listAdminNodes(request.build()));
    return new Page<>(response.getNodesList().stream().map(Admin::node).toList(), response.getCount());
  }

  /** The node takes no new tasks and its agent is asked to finish what it runs. */
  public Node drainNode(String nodeId) {
    return node(caller.call(stub -> stub.drainNode(action(nodeId))).getNode());
  }

  /** The node takes no new tasks until enabled. */
  public Node disableNode(String nodeId) {
    return node(caller.call(stub -> stub.disableNode(action(nodeId))).getNode());
  }

  /** The node takes tasks again once healthy and connected. */
  public Node enableNode(String nodeId) {
    return node(caller.call(stub -> stub.enableNode(action(nodeId))).getNode());
  }

  /** Deactivates the user and revokes every session and API key of theirs. */
  public Deactivation deactivateUser(String userId, String reason) {
    DeactivateUserResponse response = caller.call(stub -> stub.deactivateUser(DeactivateUserRequest.newBuilder()
        .setUserId(userId).setReason(reason).build()));
    return new Deactivation(response.getUserId(), response.getSessionsRevoked(), response.getApiKeysRevoked());
  }

  private static NodeActionRequest action(String nodeId) {
    return NodeActionRequest.newBuilder().setNodeId(nodeId).build();
  }

  private static Node node(com.rendertrust.api.v1.AdminNode node) {
    return new Node(node.getId(), node.getName(), node.getStatus(), node.getAdminState(), node.getCapabilitiesList(),
        node.getSlots(), node.getActiveJobs(), node.getCurrentLoad(),
        node.hasLastHeartbeatAt() ? Mapping.instant(node.getLastHeartbeatAt()) : null,
        node.hasOperatorId() ? node.getOperatorId() : null, node.getVerified(), Mapping.instant(node.getCreatedAt()));
  }
}
