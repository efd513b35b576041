package com.rendertrust.server.platform.grpc;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.rendertrust.server.platform.errors.ConnectionLoss;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns any failure into the wire error: {@code google.rpc.Status} with exactly one
 * {@code ErrorInfo} whose reason is an {@code ErrorReason} name, plus an {@code x-http-status}
 * trailer that both REST edges (in-process and Envoy's Lua filter) turn into the documented code.
 */
public final class GrpcErrors {

  public static final String DOMAIN = "rendertrust.com";
  public static final Metadata.Key<String> HTTP_STATUS_KEY =
      Metadata.Key.of("x-http-status", Metadata.ASCII_STRING_MARSHALLER);

  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);
  private static final Map<Reason, Status.Code> CODES = new EnumMap<>(Reason.class);

  static {
    CODES.put(Reason.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.VALIDATION_FAILED, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.MALFORMED_REQUEST, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.UNSUPPORTED_MEDIA_TYPE, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.PAYLOAD_TOO_LARGE, Status.Code.RESOURCE_EXHAUSTED);
    CODES.put(Reason.ROUTE_NOT_FOUND, Status.Code.NOT_FOUND);
    CODES.put(Reason.UNAUTHENTICATED, Status.Code.UNAUTHENTICATED);
    CODES.put(Reason.INVALID_CREDENTIALS, Status.Code.UNAUTHENTICATED);
    CODES.put(Reason.TOKEN_INVALID, Status.Code.UNAUTHENTICATED);
    CODES.put(Reason.TOKEN_REVOKED, Status.Code.UNAUTHENTICATED);
    CODES.put(Reason.CHALLENGE_FAILED, Status.Code.UNAUTHENTICATED);
    CODES.put(Reason.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED);
    CODES.put(Reason.NODE_NOT_VERIFIED, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.NOT_FOUND, Status.Code.NOT_FOUND);
    CODES.put(Reason.RESULT_NOT_AVAILABLE, Status.Code.NOT_FOUND);
    CODES.put(Reason.EMAIL_TAKEN, Status.Code.ALREADY_EXISTS);
    CODES.put(Reason.IDEMPOTENCY_CONFLICT, Status.Code.ALREADY_EXISTS);
    CODES.put(Reason.NOT_ANCHORED, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.STALE_ASSIGNMENT, Status.Code.ABORTED);
    CODES.put(Reason.NO_HEALTHY_NODE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.JOB_NOT_CANCELLABLE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.INSUFFICIENT_CREDITS, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.UNKNOWN_PACKAGE, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.WEBHOOK_SIGNATURE_INVALID, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.RATE_LIMITED, Status.Code.RESOURCE_EXHAUSTED);
    CODES.put(Reason.PAYMENTS_NOT_CONFIGURED, Status.Code.UNAVAILABLE);
    CODES.put(Reason.DEPENDENCY_UNAVAILABLE, Status.Code.UNAVAILABLE);
    CODES.put(Reason.HEARTBEAT_TIMEOUT, Status.Code.UNAVAILABLE);
    CODES.put(Reason.UPLOAD_INCOMPLETE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.UPLOAD_MISMATCH, Status.Code.INVALID_ARGUMENT);
    CODES.put(Reason.QUOTA_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED);
    CODES.put(Reason.UPLOAD_IN_USE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.JOB_NOT_REFUNDABLE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.JOB_NOT_REQUEUEABLE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.WALLET_TAKEN, Status.Code.ALREADY_EXISTS);
    CODES.put(Reason.JOB_NOT_RETRYABLE, Status.Code.FAILED_PRECONDITION);
    CODES.put(Reason.NOT_IMPLEMENTED, Status.Code.UNIMPLEMENTED);
    CODES.put(Reason.INTERNAL, Status.Code.INTERNAL);
  }

  private GrpcErrors() {
  }

  public static Status.Code codeOf(Reason reason) {
    return CODES.get(reason);
  }

  /** The status a client sees for {@code failure}; unexpected failures are logged here, once, with an id. */
  public static StatusRuntimeException toStatusException(Throwable failure) {
    if (failure instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (failure instanceof StatusException se) {
      return new StatusRuntimeException(se.getStatus(), se.getTrailers());
    }
    if (failure instanceof DomainException de) {
      return build(de.reason(), de.detail(), de.metadata());
    }
    if (ConnectionLoss.isConnectionLoss(failure)) {
      log.warn("database connection lost: {}", failure.toString());
      DomainException unavailable = ConnectionLoss.asUnavailable();
      return build(unavailable.reason(), unavailable.detail(), Map.of());
    }
    String errorId = UUID.randomUUID().toString();
    log.error("unhandled failure, error id {}", errorId, failure);
    return build(Reason.INTERNAL, "internal error (error id " + errorId + ")", Map.of());
  }

  private static StatusRuntimeException build(Reason reason, String detail, Map<String, String> metadata) {
    ErrorInfo info = ErrorInfo.newBuilder()
        .setReason(reason.name())
        .setDomain(DOMAIN)
        .putAllMetadata(metadata)
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(CODES.get(reason).value())
        .setMessage(detail)
        .addDetails(Any.pack(info))
        .build();
    Metadata trailers = new Metadata();
    trailers.put(HTTP_STATUS_KEY, Integer.toString(reason.httpStatus()));
    return StatusProto.toStatusRuntimeException(status, trailers);
  }
}
