package com.rendertrust.server.nodes;

import com.google.protobuf.Struct;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.HeartbeatRequest;
import com.rendertrust.api.v1.HeartbeatResponse;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.ProveNodeResponse;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.grpc.StructJson;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/** gRPC adapter of {@link NodeService} and the Connect stream ({@link NodeSession}). */
public final class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {

  private final NodeService nodes;
  private final StreamContext streams;
  private final Consumer<String> admitRegistration;

  /** {@code admitRegistration}: the per-client-address rate limit of registrations (throws RATE_LIMITED). */
  public NodeGrpcService(NodeService nodes, StreamContext streams, Consumer<String> admitRegistration) {
    this.nodes = nodes;
    this.streams = streams;
    this.admitRegistration = admitRegistration;
  }

  @Override
  public void registerNode(RegisterNodeRequest request, StreamObserver<RegisterNodeResponse> responses) {
    admitRegistration.accept(CallerContext.clientAddress());
    Optional<Caller> caller = CallerContext.current();
    boolean byNode = caller.filter(c -> c.role() == Role.NODE).isPresent();
    NodeRegistration registration = new NodeRegistration(request.getName(), request.getPublicKey(),
        request.getCapabilitiesList(), request.hasMetadata() ? json(request.getMetadata()) : "{}",
        caller.filter(c -> !byNode).map(Caller::id));
    RegisteredNode node = byNode
        ? nodes.registerKeyOf(CallerContext.requireNodeToken(), registration)
        : nodes.register(registration);
    responses.onNext(RegisterNodeResponse.newBuilder()
        .setNodeId(node.nodeId().toString())
        .setChallenge(node.challenge())
        .setToken(node.token())
        .setStatus(node.status().name())
        .build());
    responses.onCompleted();
  }

  @Override
  public void proveNode(ProveNodeRequest request, StreamObserver<ProveNodeResponse> responses) {
    NodeToken token = CallerContext.requireNodeToken();
    UUID caller = token.nodeId();
    if (!caller.toString().equals(request.getNodeId())) {
      throw new DomainException(Reason.PERMISSION_DENIED, "a node may only prove its own key");
    }
    if (!NodeKeys.isSignatureShaped(request.getSignature())) {
      throw new DomainException(Reason.VALIDATION_FAILED, "signature must be 128 hex characters",
          Map.of("field", "signature"));
    }
    NodeState state = nodes.prove(token, request.getSignature());
    responses.onNext(ProveNodeResponse.newBuilder()
        .setNodeId(caller.toString())
        .setStatus(state.status().name())
        .setVerified(state.verified())
        .build());
    responses.onCompleted();
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> responses) {
    NodeToken token = CallerContext.requireNodeToken();
    UUID nodeId = token.nodeId();
    NodeState state = nodes.heartbeat(token, request.getCurrentLoad(),
        request.hasMetadata() ? Optional.of(json(request.getMetadata())) : Optional.empty());
    if (state.canTakeJobs()) {
      streams.scheduler().fillNode(nodeId);
    }
    responses.onNext(HeartbeatResponse.newBuilder()
        .setNodeId(nodeId.toString())
        .setStatus(state.status().name())
        .setAcknowledged(true)
        .build());
    responses.onCompleted();
  }

  @Override
  public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responses) {
    NodeToken token = CallerContext.requireNodeToken();
    return new NodeSession(token, (ServerCallStreamObserver<ConnectResponse>) responses, streams);
  }

  private static String json(Struct struct) {
    return StructJson.print(struct, Reason.VALIDATION_FAILED, "metadata");
  }
}
