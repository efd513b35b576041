package com.rendertrust.server.platform.http;

import com.google.protobuf.Descriptors.Descriptor;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.rendertrust.server.platform.errors.DomainException;
import java.util.Optional;
import java.util.Set;

/**
 * Reads every REST request body with {@link JsonBodyRules} before the transcoder does, and
 * answers its 400/422 in the contract's error shape. gRPC requests and the raw-body paths
 * (webhooks, whose signature covers the exact bytes) pass untouched.
 */
final class StrictJsonBodies implements DecoratingHttpServiceFunction {

  private final JsonBodyRoutes routes;
  private final Set<String> rawBodyPaths;

  StrictJsonBodies(JsonBodyRoutes routes, Set<String> rawBodyPaths) {
    this.routes = routes;
    this.rawBodyPaths = Set.copyOf(rawBodyPaths);
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    MediaType type = req.contentType();
    if (type != null && type.subtype().startsWith("grpc") || rawBodyPaths.contains(ctx.path())) {
      return delegate.serve(ctx, req);
    }
    Optional<Descriptor> body = routes.bodyOf(ctx.method().name(), ctx.path());
    if (body.isEmpty()) {
      return delegate.serve(ctx, req);
    }
    return HttpResponse.of(req.aggregate().thenApply(aggregated -> {
      try {
        JsonBodyRules.check(aggregated.content().array(), body.get());
      } catch (DomainException refused) {
        return ErrorBodies.of(HttpStatus.valueOf(refused.reason().httpStatus()), refused.detail(),
            refused.metadata(), null).toHttpResponse();
      }
      try {
        return delegate.serve(ctx, aggregated.toHttpRequest());
      } catch (Exception e) {
        return HttpResponse.ofFailure(e);
      }
    }));
  }
}
