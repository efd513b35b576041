package com.rendertrust.server.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.file.HttpFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link LocalResultStore} over HTTP: {@code PUT /blobs/<key>?expires&signature} stores
 * the body (streamed to a temporary file, then moved into place, so a broken upload leaves
 * nothing behind), {@code GET} returns it byte for byte. A missing, tampered or expired
 * signature is 403; the route's request-size limit is the store's object limit (413 above it).
 */
public final class LocalBlobService implements HttpService {

  private static final Logger log = LoggerFactory.getLogger(LocalBlobService.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LocalResultStore store;

  public LocalBlobService(LocalResultStore store) {
    this.store = store;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    String path = ctx.path();
    if (!path.startsWith(LocalResultStore.ROUTE_PREFIX)) {
      return error(HttpStatus.NOT_FOUND, "not found");
    }
    String key = path.substring(LocalResultStore.ROUTE_PREFIX.length());
    QueryParams query = QueryParams.fromQueryString(ctx.query() == null ? "" : ctx.query());
    HttpMethod method = req.method();
    String signedMethod = method == HttpMethod.HEAD ? "GET" : method.name();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.PUT) {
      return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed");
    }
    Optional<Path> file = store.authorize(signedMethod, key, query.get("expires"), query.get("signature"));
    if (file.isEmpty()) {
      return error(HttpStatus.FORBIDDEN, "invalid or expired URL");
    }
    if (method == HttpMethod.PUT) {
      ctx.setMaxRequestLength(store.maxObjectBytes());
      return HttpResponse.of(upload(req, file.get()));
    }
    if (!Files.isRegularFile(file.get())) {
      return error(HttpStatus.NOT_FOUND, "no such object");
    }
    return HttpFile.builder(file.get())
        .autoDetectedContentType(false)
        .contentType(MediaType.OCTET_STREAM)
        .build()
        .asService()
        .serve(ctx, req);
  }

  private CompletableFuture<HttpResponse> upload(HttpRequest req, Path target) {
    Path temp;
    try {
      Files.createDirectories(target.getParent());
      temp = Files.createTempFile(target.getParent(), ".upload-", ".tmp");
    } catch (IOException e) {
      log.error("cannot create an upload file under {}", target.getParent(), e);
      return CompletableFuture.completedFuture(error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error"));
    }
    return req.writeTo(LocalBlobService::dataOnly, temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
        .handle((ignored, failure) -> {
          try {
            if (failure != null) {
              Files.deleteIfExists(temp);
              return tooLarge(failure)
                  ? error(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "object too large")
                  : error(HttpStatus.BAD_REQUEST, "upload interrupted");
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK));
          } catch (IOException e) {
            log.error("cannot store an upload at {}", target, e);
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
          }
        });
  }

  private static HttpData dataOnly(HttpObject object) {
    return object instanceof HttpData data ? data : HttpData.empty();
  }

  private static boolean tooLarge(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof com.linecorp.armeria.common.ContentTooLargeException) {
        return true;
      }
    }
    return false;
  }

  private static HttpResponse error(HttpStatus status, String detail) {
    ObjectNode body = JSON.createObjectNode().put("detail", detail);
    return HttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
  }
}
