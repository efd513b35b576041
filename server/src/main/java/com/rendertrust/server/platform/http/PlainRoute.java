package com.rendertrust.server.platform.http;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.HttpStatusException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A plain HTTP route served next to the transcoded API on the same port (like {@code /metrics}),
 * for documents that are not RPCs, e.g. {@code /.well-known/jwks.json}. Features describe the
 * route; the edge serves it.
 */
public record PlainRoute(String path, HttpService service) {

  /** A read-only JSON document (GET and HEAD; other methods answer 405), cacheable for {@code maxAge}. */
  public static PlainRoute jsonDocument(String path, Duration maxAge, Supplier<String> body) {
    return new PlainRoute(path, (ctx, req) -> {
      if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
        throw HttpStatusException.of(HttpStatus.METHOD_NOT_ALLOWED);
      }
      ResponseHeaders headers = ResponseHeaders.builder(HttpStatus.OK)
          .contentType(MediaType.JSON_UTF_8)
          .set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=" + maxAge.toSeconds())
          .build();
      return HttpResponse.of(headers, com.linecorp.armeria.common.HttpData.ofUtf8(body.get()));
    });
  }
}
