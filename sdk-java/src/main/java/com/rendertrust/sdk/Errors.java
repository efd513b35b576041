package com.rendertrust.sdk;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

/** Turns a failed call into the SDK's typed exceptions, keyed by {@code ErrorInfo.reason}. */
final class Errors {

  private Errors() {
  }

  static RenderTrustException translate(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    ErrorInfo info = errorInfo(e);
    String reason = info == null ? code.name() : info.getReason();
    Map<String, String> metadata = info == null ? Map.of() : info.getMetadataMap();
    String detail = e.getStatus().getDescription() == null ? code.name() : e.getStatus().getDescription();
    return switch (reason) {
      case "INSUFFICIENT_CREDITS" -> new InsufficientCreditsException(reason, code.name(), detail, metadata, e);
      case "RATE_LIMITED" -> new RateLimitedException(reason, code.name(), detail, metadata, e);
      case "NO_HEALTHY_NODE" -> new NoHealthyNodeException(reason, code.name(), detail, metadata, e);
      case "NOT_ANCHORED" -> new NotAnchoredException(reason, code.name(), detail, metadata, e);
      case "JOB_NOT_CANCELLABLE" -> new JobNotCancellableException(reason, code.name(), detail, metadata, e);
      case "EMAIL_TAKEN", "IDEMPOTENCY_CONFLICT", "UPLOAD_INCOMPLETE", "UPLOAD_IN_USE", "JOB_NOT_REFUNDABLE",
          "JOB_NOT_REQUEUEABLE", "WALLET_TAKEN" ->
          new ConflictException(reason, code.name(), detail, metadata, e);
      case "QUOTA_EXCEEDED", "PAYLOAD_TOO_LARGE", "UPLOAD_MISMATCH" ->
          new ValidationException(reason, code.name(), detail, metadata, e);
      default -> byCode(code, reason, detail, metadata, e);
    };
  }

  private static RenderTrustException byCode(Status.Code code, String reason, String detail,
      Map<String, String> metadata, StatusRuntimeException e) {
    return switch (code) {
      case NOT_FOUND -> new NotFoundException(reason, code.name(), detail, metadata, e);
      case UNAUTHENTICATED -> new AuthenticationException(reason, code.name(), detail, metadata, e);
      case PERMISSION_DENIED -> new PermissionDeniedException(reason, code.name(), detail, metadata, e);
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new ValidationException(reason, code.name(), detail, metadata, e);
      case ALREADY_EXISTS, ABORTED -> new ConflictException(reason, code.name(), detail, metadata, e);
      case UNAVAILABLE, DEADLINE_EXCEEDED -> new UnavailableException(reason, code.name(), detail, metadata, e);
      case RESOURCE_EXHAUSTED -> new RateLimitedException(reason, code.name(), detail, metadata, e);
      default -> new RenderTrustException(reason, code.name(), detail, metadata, e);
    };
  }

  private static ErrorInfo errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException ignored) {
          return null;
        }
      }
    }
    return null;
  }
}
