package com.rendertrust.server.platform.http;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.rendertrust.server.platform.grpc.GrpcErrors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

/**
 * The REST error of a failed gRPC call made by a plain route on the caller's behalf (e.g. the
 * Server-Sent Events form of a path, served over a streaming RPC): the documented HTTP status
 * (the {@code x-http-status} trailer) and body {@code {"detail"}} plus the ErrorInfo metadata.
 */
public final class RpcFailures {

  private RpcFailures() {
  }

  public static HttpResponse toHttp(Throwable failure) {
    Status status = Status.fromThrowable(failure);
    Metadata trailers = Status.trailersFromThrowable(failure);
    String httpStatus = trailers == null ? null : trailers.get(GrpcErrors.HTTP_STATUS_KEY);
    HttpStatus http = httpStatus != null ? HttpStatus.valueOf(Integer.parseInt(httpStatus))
        : HttpStatus.valueOf(RestErrorHandler.httpStatusOf(status.getCode()));
    Map<String, String> extras = Map.of();
    com.google.rpc.Status details = StatusProto.fromThrowable(failure);
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        if (any.is(ErrorInfo.class)) {
          try {
            extras = any.unpack(ErrorInfo.class).getMetadataMap();
          } catch (InvalidProtocolBufferException e) {
            // no extras then
          }
        }
      }
    }
    String detail = status.getDescription() != null ? status.getDescription() : ErrorBodies.describe(http);
    return ErrorBodies.of(http, detail, extras, extras.get("retry_after_seconds")).toHttpResponse();
  }
}
