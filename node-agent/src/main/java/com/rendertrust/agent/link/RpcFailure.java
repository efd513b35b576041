package com.rendertrust.agent.link;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * A failed call as the agent reasons about it: the gRPC code plus the contract's
 * {@code ErrorInfo.reason} (e.g. TOKEN_INVALID, CHALLENGE_FAILED), and the server's detail.
 */
public record RpcFailure(Status.Code code, String reason, String detail) {

  public static RpcFailure of(Throwable error) {
    Status status = Status.fromThrowable(error);
    String reason = "";
    com.google.rpc.Status rich = StatusProto.fromThrowable(error);
    if (rich != null) {
      for (Any any : rich.getDetailsList()) {
        if (any.is(ErrorInfo.class)) {
          try {
            reason = any.unpack(ErrorInfo.class).getReason();
          } catch (InvalidProtocolBufferException ignored) {
            // a malformed detail: fall back to the bare code
          }
        }
      }
    }
    String detail = status.getDescription() != null ? status.getDescription()
        : status.getCause() != null ? status.getCause().toString() : "";
    return new RpcFailure(status.getCode(), reason, detail);
  }

  /** The node's token or key proof is not accepted: renewing the identity (register + prove) is the cure. */
  public boolean isCredentialProblem() {
    return code == Status.Code.UNAUTHENTICATED
        || reason.equals("NODE_NOT_VERIFIED")
        || reason.equals("CHALLENGE_FAILED")
        || reason.equals("TOKEN_INVALID")
        || reason.equals("TOKEN_REVOKED");
  }

  @Override
  public String toString() {
    return code + (reason.isEmpty() ? "" : " " + reason) + (detail.isEmpty() ? "" : ": " + detail);
  }
}
