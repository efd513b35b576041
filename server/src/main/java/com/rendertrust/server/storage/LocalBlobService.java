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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link LocalResultStore} over HTTP: {@code PUT /blobs/<key>?expires&signature} stores
 * the body (streamed to a temporary file, then moved into place, so a broken upload leaves
 * nothing behind), {@code GET} returns it byte for byte. A missing, tampered or expired
 * signature is 403. A PUT may send at most the URL's signed {@code size} when it has one (an
 * upload of a declared size), else the store's object limit: 413 above it. The body's SHA-256 is
 * computed while it streams and kept with the object.
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
    String size = method == HttpMethod.PUT ? query.get("size") : null;
    Optional<LocalResultStore.Authorized> allowed =
        store.authorize(signedMethod, key, query.get("expires"), size, query.get("signature"));
    if (allowed.isEmpty()) {
      return error(HttpStatus.FORBIDDEN, "invalid or expired URL");
    }
    Optional<Path> file = Optional.of(allowed.get().file());
    if (method == HttpMethod.PUT) {
      OptionalLong declared = allowed.get().sizeLimit();
      // an upload of a declared size takes no byte beyond it; other uploads (results) the store's limit
      ctx.setMaxRequestLength(declared.orElse(store.maxObjectBytes()));
      declared.ifPresent(bytes -> ctx.setRequestTimeout(transferTime(bytes)));
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
    MessageDigest sha256 = sha256();
    // hashed while it streams to disk: the digest is known when the last byte lands
    return req.peekData(data -> sha256.update(data.array()))
        .writeTo(LocalBlobService::dataOnly, temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
        .handle((ignored, failure) -> {
          try {
            if (failure != null) {
              Files.deleteIfExists(temp);
              return tooLarge(failure)
                  ? error(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "more bytes than the URL allows")
                  : error(HttpStatus.BAD_REQUEST, "upload interrupted");
            }
            // the digest first: whoever sees the object also finds its digest
            BlobDigests.write(target, HexFormat.of().formatHex(sha256.digest()));
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK));
          } catch (IOException e) {
            log.error("cannot store an upload at {}", target, e);
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
          }
        });
  }

  /** At least 10 minutes, and 1 MiB/s for large uploads. */
  private static Duration transferTime(long bytes) {
    return Duration.ofMinutes(10).plusSeconds(bytes / (1024 * 1024));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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
