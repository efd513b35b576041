package com.rendertrust.server.platform.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import java.util.Map;

/** Builds the REST contract's error body: {@code {"detail": "..."}} plus documented extras. */
final class ErrorBodies {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ErrorBodies() {
  }

  static AggregatedHttpResponse of(HttpStatus status, String detail) {
    return of(status, detail, Map.of(), null);
  }

  static AggregatedHttpResponse of(HttpStatus status, String detail, Map<String, String> extras,
      String retryAfterSeconds) {
    ObjectNode body = JSON.createObjectNode();
    body.put("detail", detail);
    extras.forEach((key, value) -> {
      if (!"detail".equals(key)) {
        body.put(key, value);
      }
    });
    ResponseHeadersBuilder headers = ResponseHeaders.builder(status).contentType(MediaType.JSON_UTF_8);
    if (retryAfterSeconds != null) {
      headers.set(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
    }
    try {
      return AggregatedHttpResponse.of(headers.build(), HttpData.wrap(JSON.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client-safe sentence for a status produced by the HTTP layer itself (no route, body too big...). */
  static String describe(HttpStatus status) {
    return switch (status.code()) {
      case 400 -> "malformed request";
      case 404 -> "not found";
      case 405 -> "method not allowed";
      case 408 -> "request timed out";
      case 413 -> "request body too large";
      case 415 -> "unsupported media type: send application/json";
      case 429 -> "too many requests";
      case 503 -> "service unavailable";
      default -> status.code() >= 500 ? "internal error" : status.reasonPhrase().toLowerCase();
    };
  }
}
