package com.rendertrust.server.platform.http;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.rendertrust.server.platform.errors.ConnectionLoss;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors raised by the HTTP layer itself (no route, body too large, protocol violations,
 * unexpected exceptions) answer {@code {"detail"}} like every other error, never a stack trace.
 */
final class JsonErrorHandler implements ServerErrorHandler {

  private static final Logger log = LoggerFactory.getLogger(JsonErrorHandler.class);

  @Override
  public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
    if (cause instanceof com.linecorp.armeria.server.HttpStatusException statusException) {
      HttpStatus status = statusException.httpStatus();
      return ErrorBodies.of(status, ErrorBodies.describe(status)).toHttpResponse();
    }
    if (cause instanceof com.linecorp.armeria.server.HttpResponseException) {
      return null; // the service chose its response; let Armeria send it
    }
    if (ConnectionLoss.isConnectionLoss(cause)) {
      log.warn("database connection lost on {}: {}", ctx.path(), cause.toString());
      return ErrorBodies.of(HttpStatus.SERVICE_UNAVAILABLE, ConnectionLoss.DETAIL).toHttpResponse();
    }
    log.error("unhandled HTTP failure on {}", ctx.path(), cause);
    return ErrorBodies.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal error").toHttpResponse();
  }

  @Override
  public AggregatedHttpResponse onProtocolViolation(ServiceConfig config, RequestHeaders headers,
      HttpStatus status, String description, Throwable cause) {
    return ErrorBodies.of(status, ErrorBodies.describe(status));
  }

  @Override
  public AggregatedHttpResponse renderStatus(ServiceRequestContext ctx, ServiceConfig config,
      RequestHeaders headers, HttpStatus status, String description, Throwable cause) {
    return ErrorBodies.of(status, ErrorBodies.describe(status));
  }
}
