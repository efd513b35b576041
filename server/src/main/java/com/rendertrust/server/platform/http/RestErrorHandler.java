package com.rendertrust.server.platform.http;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.UnframedGrpcErrorHandler;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.Status;
import java.util.Base64;
import java.util.Map;

/**
 * Turns a failed transcoded call into the REST contract's error: the HTTP status documented for
 * the {@code ErrorInfo.reason} (see {@link Reason}), body {@code {"detail"}} plus ErrorInfo
 * metadata (402 carries {@code available} and {@code requested}). Failures without an
 * ErrorInfo (e.g. UNIMPLEMENTED for an RPC the contracts declare but the server does not
 * implement) use the standard code table.
 */
final class RestErrorHandler implements UnframedGrpcErrorHandler {

  private static final String STATUS_DETAILS = "grpc-status-details-bin";

  @Override
  public HttpResponse handle(ServiceRequestContext ctx, Status status, AggregatedHttpResponse response) {
    com.google.rpc.Status details = details(response.trailers());
    if (details == null) {
      details = details(response.headers());
    }
    ErrorInfo info = details == null ? null : errorInfo(details);
    if (info != null) {
      Reason reason = reasonOf(info.getReason());
      HttpStatus httpStatus = HttpStatus.valueOf(reason.httpStatus());
      String retryAfter = info.getMetadataMap().get("retry_after_seconds");
      Map<String, String> extras = info.getMetadataMap();
      return ErrorBodies.of(httpStatus, details.getMessage(), extras, retryAfter).toHttpResponse();
    }
    HttpStatus httpStatus = HttpStatus.valueOf(httpStatusOf(status.getCode()));
    String detail = switch (status.getCode()) {
      case UNIMPLEMENTED -> "not implemented yet";
      case INVALID_ARGUMENT -> status.getDescription() == null
          ? "malformed request" : "malformed request: " + status.getDescription();
      case DEADLINE_EXCEEDED -> "request timed out";
      default -> ErrorBodies.describe(httpStatus);
    };
    return ErrorBodies.of(httpStatus, detail).toHttpResponse();
  }

  private static Reason reasonOf(String name) {
    try {
      return Reason.valueOf(name);
    } catch (IllegalArgumentException e) {
      return Reason.INTERNAL;
    }
  }

  private static com.google.rpc.Status details(HttpHeaders headers) {
    String encoded = headers.get(STATUS_DETAILS);
    if (encoded == null) {
      return null;
    }
    try {
      return com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(padded(encoded)));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return null;
    }
  }

  private static String padded(String base64) {
    int remainder = base64.length() % 4;
    return remainder == 0 ? base64 : base64 + "=".repeat(4 - remainder);
  }

  private static ErrorInfo errorInfo(com.google.rpc.Status details) {
    for (Any any : details.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return any.unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** The standard gRPC-to-HTTP table (google.rpc.Code), for failures that carry no ErrorInfo. */
  static int httpStatusOf(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }
}
