package com.rendertrust.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Asserts on failed gRPC calls the way clients read them: status code plus ErrorInfo reason. */
public final class GrpcFailures {

  private GrpcFailures() {
  }

  /** Runs {@code call}, which must fail with {@code code} and ErrorInfo {@code reason}; returns the ErrorInfo. */
  public static ErrorInfo assertFails(ThrowingCallable call, Status.Code code, String reason) {
    StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(failure).as("the call should have failed with " + code + "/" + reason).isNotNull();
    assertThat(failure.getStatus().getCode()).as("status code (" + failure.getStatus() + ")").isEqualTo(code);
    ErrorInfo info = errorInfo(failure);
    assertThat(info.getReason()).as("ErrorInfo.reason").isEqualTo(reason);
    return info;
  }

  public static ErrorInfo errorInfo(StatusRuntimeException failure) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    assertThat(status).as("google.rpc.Status details of " + failure.getStatus()).isNotNull();
    return status.getDetailsList().stream()
        .filter(any -> any.is(ErrorInfo.class))
        .map(any -> {
          try {
            return any.unpack(ErrorInfo.class);
          } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        })
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ErrorInfo in " + failure.getStatus()));
  }

  public static Map<String, String> metadata(ThrowingCallable call, Status.Code code, String reason) {
    return assertFails(call, code, reason).getMetadataMap();
  }
}
