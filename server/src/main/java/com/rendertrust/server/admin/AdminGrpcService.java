package com.rendertrust.server.admin;

import com.rendertrust.api.v1.AdjustCreditsRequest;
import com.rendertrust.api.v1.AdjustCreditsResponse;
import com.rendertrust.api.v1.AdminNode;
import com.rendertrust.api.v1.AdminServiceGrpc;
import com.rendertrust.api.v1.DeactivateUserRequest;
import com.rendertrust.api.v1.DeactivateUserResponse;
import com.rendertrust.api.v1.ListAdminJobsRequest;
import com.rendertrust.api.v1.ListAdminJobsResponse;
import com.rendertrust.api.v1.ListAdminNodesRequest;
import com.rendertrust.api.v1.ListAdminNodesResponse;
import com.rendertrust.api.v1.NodeActionRequest;
import com.rendertrust.api.v1.NodeActionResponse;
import com.rendertrust.api.v1.RefundJobRequest;
import com.rendertrust.api.v1.RefundJobResponse;
import com.rendertrust.api.v1.RequeueJobRequest;
import com.rendertrust.api.v1.RequeueJobResponse;
import com.rendertrust.server.auth.SessionService;
import com.rendertrust.server.credits.CreditProtos;
import com.rendertrust.server.credits.JobRefunds;
import com.rendertrust.server.jobs.JobGrpcService;
import com.rendertrust.server.jobs.JobPage;
import com.rendertrust.server.nodes.NodeDirectory;
import com.rendertrust.server.nodes.NodeView;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.input.InputRules;
import io.grpc.stub.StreamObserver;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.function.Function;

/** gRPC adapter of {@link AdminService}; the access policy lets only administrators in (403 otherwise). */
public final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {

  private final AdminService admin;

  public AdminGrpcService(AdminService admin) {
    this.admin = admin;
  }

  @Override
  public void adjustCredits(AdjustCreditsRequest request, StreamObserver<AdjustCreditsResponse> responses) {
    UUID caller = CallerContext.requireUser();
    var entry = admin.adjust(caller, request.getUserId(), request.getAmount(), request.getReason(),
        request.getReferenceId());
    responses.onNext(AdjustCreditsResponse.newBuilder().setEntry(CreditProtos.entry(entry)).build());
    responses.onCompleted();
  }

  @Override
  public void refundJob(RefundJobRequest request, StreamObserver<RefundJobResponse> responses) {
    UUID caller = CallerContext.requireUser();
    JobRefunds.Refund refund = admin.refund(caller, request.getJobId(), request.getReason());
    responses.onNext(RefundJobResponse.newBuilder()
        .setUserId(refund.userId().toString())
        .setEntry(CreditProtos.entry(refund.entry()))
        .setReversedFromOperators(refund.reversedFromOperators().toWire())
        .setPlatformLoss(refund.platformLoss().toWire())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listAdminJobs(ListAdminJobsRequest request, StreamObserver<ListAdminJobsResponse> responses) {
    UUID caller = CallerContext.requireUser();
    JobPage page = admin.jobs(caller, request.getStatus(), request.getDeadLettered(),
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListAdminJobsResponse.Builder response = ListAdminJobsResponse.newBuilder().setCount(page.count());
    page.jobs().forEach(job -> response.addJobs(JobGrpcService.toProto(job)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void requeueJob(RequeueJobRequest request, StreamObserver<RequeueJobResponse> responses) {
    UUID caller = CallerContext.requireUser();
    responses.onNext(RequeueJobResponse.newBuilder()
        .setJob(JobGrpcService.toProto(admin.requeue(caller, request.getJobId()))).build());
    responses.onCompleted();
  }

  @Override
  public void listAdminNodes(ListAdminNodesRequest request, StreamObserver<ListAdminNodesResponse> responses) {
    UUID caller = CallerContext.requireUser();
    NodeDirectory.Page page = admin.nodes(caller, request.getStatus(),
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListAdminNodesResponse.Builder response = ListAdminNodesResponse.newBuilder().setCount(page.total());
    page.nodes().forEach(node -> response.addNodes(node(node)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void drainNode(NodeActionRequest request, StreamObserver<NodeActionResponse> responses) {
    nodeAction(request, responses, nodeId -> admin.drain(CallerContext.requireUser(), nodeId));
  }

  @Override
  public void disableNode(NodeActionRequest request, StreamObserver<NodeActionResponse> responses) {
    nodeAction(request, responses, nodeId -> admin.disable(CallerContext.requireUser(), nodeId));
  }

  @Override
  public void enableNode(NodeActionRequest request, StreamObserver<NodeActionResponse> responses) {
    nodeAction(request, responses, nodeId -> admin.enable(CallerContext.requireUser(), nodeId));
  }

  @Override
  public void deactivateUser(DeactivateUserRequest request, StreamObserver<DeactivateUserResponse> responses) {
    UUID caller = CallerContext.requireUser();
    SessionService.Deactivation done = admin.deactivate(caller, request.getUserId(), request.getReason());
    responses.onNext(DeactivateUserResponse.newBuilder()
        .setUserId(request.getUserId())
        .setSessionsRevoked(done.sessionsRevoked())
        .setApiKeysRevoked(done.apiKeysRevoked())
        .build());
    responses.onCompleted();
  }

  private static void nodeAction(NodeActionRequest request, StreamObserver<NodeActionResponse> responses,
      Function<String, NodeView> action) {
    NodeView node = action.apply(request.getNodeId());
    responses.onNext(NodeActionResponse.newBuilder().setNode(node(node)).build());
    responses.onCompleted();
  }

  static AdminNode node(NodeView view) {
    AdminNode.Builder proto = AdminNode.newBuilder()
        .setId(view.id().toString())
        .setName(view.name())
        .setStatus(view.status())
        .setAdminState(view.adminState())
        .addAllCapabilities(view.capabilities())
        .setSlots(view.slots())
        .setActiveJobs(view.activeJobs())
        .setCurrentLoad(view.currentLoad())
        .setVerified(view.verified())
        .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(view.createdAt()));
    view.lastHeartbeatAt().ifPresent(at -> proto.setLastHeartbeatAt(DateTimeFormatter.ISO_INSTANT.format(at)));
    view.operatorId().ifPresent(operator -> proto.setOperatorId(operator.toString()));
    return proto.build();
  }
}
