package com.rendertrust.server.operators;

import com.rendertrust.api.v1.EarningsEntry;
import com.rendertrust.api.v1.GetOperatorEarningsRequest;
import com.rendertrust.api.v1.GetOperatorEarningsResponse;
import com.rendertrust.api.v1.ListOperatorNodesRequest;
import com.rendertrust.api.v1.ListOperatorNodesResponse;
import com.rendertrust.api.v1.OperatorNode;
import com.rendertrust.api.v1.OperatorServiceGrpc;
import com.rendertrust.server.nodes.NodeView;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.input.InputRules;
import io.grpc.stub.StreamObserver;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/** gRPC adapter of {@link OperatorViews}: every RPC shows the calling user's own nodes and earnings. */
public final class OperatorGrpcService extends OperatorServiceGrpc.OperatorServiceImplBase {

  private final OperatorViews views;

  public OperatorGrpcService(OperatorViews views) {
    this.views = views;
  }

  @Override
  public void listOperatorNodes(ListOperatorNodesRequest request, StreamObserver<ListOperatorNodesResponse> responses) {
    UUID operatorId = CallerContext.requireUser();
    ListOperatorNodesResponse.Builder response = ListOperatorNodesResponse.newBuilder();
    for (OperatorViews.OperatorNode node : views.nodes(operatorId)) {
      NodeView view = node.node();
      OperatorNode.Builder proto = OperatorNode.newBuilder()
          .setId(view.id().toString())
          .setName(view.name())
          .setStatus(view.status())
          .addAllCapabilities(view.capabilities())
          .setSlots(view.slots())
          .setActiveJobs(view.activeJobs())
          .setCurrentLoad(view.currentLoad())
          .setTasksCompleted(node.tasksCompleted())
          .setEarned(node.earned().toWire());
      view.lastHeartbeatAt().ifPresent(at -> proto.setLastHeartbeatAt(DateTimeFormatter.ISO_INSTANT.format(at)));
      response.addNodes(proto);
    }
    responses.onNext(response.setCount(response.getNodesCount()).build());
    responses.onCompleted();
  }

  @Override
  public void getOperatorEarnings(GetOperatorEarningsRequest request,
      StreamObserver<GetOperatorEarningsResponse> responses) {
    UUID operatorId = CallerContext.requireUser();
    OperatorViews.Earnings earnings = views.earnings(operatorId,
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    GetOperatorEarningsResponse.Builder response = GetOperatorEarningsResponse.newBuilder()
        .setBalance(earnings.balance().toWire())
        .setTotalEarned(earnings.totalEarned().toWire())
        .setPaidOut(earnings.paidOut().toWire())
        .setCount(earnings.count());
    for (OperatorViews.Entry entry : earnings.entries()) {
      EarningsEntry.Builder proto = EarningsEntry.newBuilder()
          .setAmount(entry.amount().toWire())
          .setJobId(entry.jobId().toString())
          .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(entry.createdAt()));
      entry.nodeId().ifPresent(node -> proto.setNodeId(node.toString()));
      response.addEntries(proto);
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }
}
