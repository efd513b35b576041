package com.rendertrust.agent.link;

import com.google.protobuf.Struct;
import com.rendertrust.agent.identity.NodeKeys;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.ProveNodeResponse;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * RegisterNode then ProveNode: the node presents its public key, gets an id, a token and a
 * challenge, and proves it holds the private key by signing the challenge. Used by
 * {@code register} and, with the same key, to renew the node token while running.
 */
public final class Registrar {

  /**
   * @param unprovenChallenge set when RegisterNode succeeded but ProveNode could not be reached:
   *     the next Connect Hello carries the signature instead
   */
  public record Registration(String nodeId, String token, String status, boolean verified,
      Optional<String> unprovenChallenge) {}

  private final Channel channel;
  private final String serverUrl;
  private final Duration rpcTimeout;

  public Registrar(Channel channel, String serverUrl, Duration rpcTimeout) {
    this.channel = channel;
    this.serverUrl = serverUrl;
    this.rpcTimeout = rpcTimeout;
  }

  /**
   * @param operatorToken the operator's access token, sent only when given (links the node to an account)
   * @param requireProof true: a ProveNode that cannot be reached fails the registration
   */
  public Registration register(String name, KeyPair keys, List<String> capabilities, Struct metadata,
      Optional<String> operatorToken, boolean requireProof) throws RegistrationException {
    RegisterNodeRequest request = RegisterNodeRequest.newBuilder()
        .setName(name)
        .setPublicKey(NodeKeys.publicKeyPem(keys.getPublic()))
        .addAllCapabilities(capabilities)
        .setMetadata(metadata)
        .build();
    NodeServiceGrpc.NodeServiceBlockingStub stub = stub();
    if (operatorToken.isPresent()) {
      stub = stub.withInterceptors(Bearer.of(operatorToken.get()));
    }
    RegisterNodeResponse registered;
    try {
      registered = stub.registerNode(request);
    } catch (StatusRuntimeException e) {
      throw explain("registration", e);
    }
    String signature = NodeKeys.signChallenge(keys.getPrivate(), registered.getChallenge());
    try {
      ProveNodeResponse proved = stub().withInterceptors(Bearer.of(registered.getToken()))
          .proveNode(ProveNodeRequest.newBuilder().setNodeId(registered.getNodeId()).setSignature(signature).build());
      if (!proved.getVerified()) {
        throw new RegistrationException("the server did not accept the key proof for node " + registered.getNodeId()
            + " (status " + proved.getStatus() + ")", null);
      }
      return new Registration(registered.getNodeId(), registered.getToken(), proved.getStatus(), true, Optional.empty());
    } catch (StatusRuntimeException e) {
      RpcFailure failure = RpcFailure.of(e);
      boolean transientFailure = failure.code() == Status.Code.UNAVAILABLE || failure.code() == Status.Code.DEADLINE_EXCEEDED;
      if (requireProof || !transientFailure) {
        throw explain("key proof", e);
      }
      return new Registration(registered.getNodeId(), registered.getToken(), registered.getStatus(), false,
          Optional.of(registered.getChallenge()));
    }
  }

  private NodeServiceGrpc.NodeServiceBlockingStub stub() {
    return NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(rpcTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private RegistrationException explain(String step, StatusRuntimeException e) {
    RpcFailure failure = RpcFailure.of(e);
    String message = switch (failure.code()) {
      case UNAVAILABLE -> "cannot reach the server at " + serverUrl + " (" + failure.detail() + ")";
      case DEADLINE_EXCEEDED -> "the server at " + serverUrl + " did not answer the " + step + " within " + rpcTimeout.toSeconds() + " s";
      case UNIMPLEMENTED -> "the server at " + serverUrl + " does not offer node " + step + " yet (UNIMPLEMENTED)";
      default -> "the server refused the " + step + ": " + failure;
    };
    if (failure.reason().equals("TOKEN_INVALID") && step.equals("registration")) {
      message += " (the --operator-token is invalid or expired: log in again and pass a fresh access token)";
    }
    return new RegistrationException(message, failure);
  }
}
