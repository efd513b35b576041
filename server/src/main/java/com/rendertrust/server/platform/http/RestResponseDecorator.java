package com.rendertrust.server.platform.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.io.IOException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Applies the REST contract to transcoded responses: a success status the server asked for
 * (201 for creations, see {@link SuccessStatusInterceptor}) replaces the transcoder's 200, and
 * any 4xx/5xx that some layer answered with a non-JSON body (e.g. the transcoder's plain-text
 * 400 for malformed JSON) becomes {@code {"detail"}}. gRPC requests pass untouched.
 */
final class RestResponseDecorator implements DecoratingHttpServiceFunction {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** {@code /package.Service/Method}: a gRPC method, never a REST path. */
  private static final Pattern GRPC_PATH = Pattern.compile("/[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*\\.[A-Z]\\w*/[A-Z]\\w*");

  private final Set<String> rawBodyPaths;

  /** {@code rawBodyPaths}: REST paths whose RPC takes the raw body (any content type), e.g. webhooks. */
  RestResponseDecorator(Set<String> rawBodyPaths) {
    this.rawBodyPaths = Set.copyOf(rawBodyPaths);
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    MediaType requestType = req.contentType();
    if (requestType != null && requestType.subtype().startsWith("grpc")) {
      return delegate.serve(ctx, req);
    }
    if (requestType != null && !requestType.subtype().endsWith("json") && !rawBodyPaths.contains(ctx.path())) {
      return unsupportedMediaType(ctx.path()).toHttpResponse();
    }
    HttpResponse response = delegate.serve(ctx, req);
    return HttpResponse.of(response.aggregate().thenApply(aggregated -> apply(ctx, aggregated)));
  }

  /**
   * 415, saying what to send: JSON on a REST path; on a gRPC method's path ({@code
   * /rendertrust.v1.JobService/GetJob}), which JSON cannot reach, the gRPC content types.
   */
  private static AggregatedHttpResponse unsupportedMediaType(String path) {
    if (GRPC_PATH.matcher(path).matches()) {
      return ErrorBodies.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported media type: " + path
          + " is a gRPC method; send application/grpc or application/grpc-web (+proto), or JSON to its REST"
          + " path (see /openapi.json)");
    }
    return ErrorBodies.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ErrorBodies.describe(HttpStatus.UNSUPPORTED_MEDIA_TYPE));
  }

  private static HttpResponse apply(ServiceRequestContext ctx, AggregatedHttpResponse response) {
    int code = response.status().code();
    if (code < 400) {
      Integer requested = ctx.attr(SuccessStatusInterceptor.SUCCESS_STATUS);
      HttpData content = withNullFields(ctx, response);
      if ((requested == null || code != 200) && content == response.content()) {
        return response.toHttpResponse();
      }
      int status = requested != null && code == 200 ? requested : code;
      return AggregatedHttpResponse.of(
          response.headers().toBuilder().status(status).removeAndThen(HttpHeaderNames.CONTENT_LENGTH).build(),
          content,
          response.trailers()).toHttpResponse();
    }
    MediaType type = response.contentType();
    boolean jsonBody = type != null && type.subtype().endsWith("json");
    if (jsonBody) {
      return response.toHttpResponse();
    }
    HttpStatus status = response.status();
    if (status == HttpStatus.UNSUPPORTED_MEDIA_TYPE) {
      return unsupportedMediaType(ctx.path()).toHttpResponse();
    }
    return ErrorBodies.of(status, ErrorBodies.describe(status)).toHttpResponse();
  }

  /** The JSON body with unset optional fields printed as null (see {@link ResponseShapeInterceptor}). */
  private static HttpData withNullFields(ServiceRequestContext ctx, AggregatedHttpResponse response) {
    Descriptor type = ctx.attr(ResponseShapeInterceptor.RESPONSE_TYPE);
    MediaType contentType = response.contentType();
    if (type == null || contentType == null || !contentType.subtype().endsWith("json") || response.content().isEmpty()) {
      return response.content();
    }
    try {
      JsonNode body = JSON.readTree(response.content().array());
      if (!(body instanceof ObjectNode object)) {
        return response.content();
      }
      NullFields.fill(object, type);
      return HttpData.wrap(JSON.writeValueAsBytes(object));
    } catch (IOException e) {
      return response.content();
    }
  }
}
