package com.rendertrust.server.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Reads the error model (google.rpc.Status + ErrorInfo) off gRPC failures. */
public final class GrpcAssertions {

  private GrpcAssertions() {
  }

  public static String reasonOf(Throwable failure) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class).getReason();
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    return null;
  }

  /** Asserts the call fails with {@code code} and ErrorInfo {@code reason}. */
  public static void assertFails(ThrowingCallable call, Status.Code code, String reason) {
    assertThatThrownBy(call).satisfies(failure -> {
      if (Status.fromThrowable(failure).getCode() != code || !reason.equals(reasonOf(failure))) {
        throw new AssertionError("expected " + code + "/" + reason + " but got "
            + Status.fromThrowable(failure) + "/" + reasonOf(failure));
      }
    });
  }
}
