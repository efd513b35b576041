package com.rendertrust.server.platform.errors;

/**
 * Stable error reasons, spelled exactly as the contract's {@code rendertrust.v1.ErrorReason}
 * values, each with the HTTP status the REST contract documents for it. This table is the one
 * place that decides what HTTP code a failure gets; the gRPC code lives next to it in
 * {@code platform.grpc.GrpcErrors}.
 */
public enum Reason {
  INVALID_ARGUMENT(400),
  VALIDATION_FAILED(422),
  MALFORMED_REQUEST(400),
  UNSUPPORTED_MEDIA_TYPE(415),
  PAYLOAD_TOO_LARGE(413),
  ROUTE_NOT_FOUND(404),
  UNAUTHENTICATED(401),
  INVALID_CREDENTIALS(401),
  TOKEN_INVALID(401),
  TOKEN_REVOKED(401),
  CHALLENGE_FAILED(401),
  PERMISSION_DENIED(403),
  NODE_NOT_VERIFIED(400),
  NOT_FOUND(404),
  RESULT_NOT_AVAILABLE(404),
  EMAIL_TAKEN(409),
  IDEMPOTENCY_CONFLICT(409),
  NOT_ANCHORED(409),
  STALE_ASSIGNMENT(409),
  NO_HEALTHY_NODE(400),
  JOB_NOT_CANCELLABLE(400),
  INSUFFICIENT_CREDITS(402),
  UNKNOWN_PACKAGE(422),
  WEBHOOK_SIGNATURE_INVALID(400),
  RATE_LIMITED(429),
  PAYMENTS_NOT_CONFIGURED(503),
  DEPENDENCY_UNAVAILABLE(503),
  HEARTBEAT_TIMEOUT(503),
  UPLOAD_INCOMPLETE(409),
  UPLOAD_MISMATCH(422),
  QUOTA_EXCEEDED(422),
  UPLOAD_IN_USE(409),
  JOB_NOT_REFUNDABLE(409),
  JOB_NOT_REQUEUEABLE(409),
  WALLET_TAKEN(409),
  JOB_NOT_RETRYABLE(400),
  NOT_IMPLEMENTED(501),
  INTERNAL(500);

  private final int httpStatus;

  Reason(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
