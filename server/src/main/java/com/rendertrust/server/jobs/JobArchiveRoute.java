package com.rendertrust.server.jobs;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.SignedRoutes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /archives/<job id>.zip?expires&signature}: a ZIP of all delivered outputs of a job,
 * written while it is sent (each output is read from the result store into the response as the
 * client takes it; no archive is ever built on disk or in memory). Only URLs the server signed
 * (see {@link JobService#result}) are served: anything else is 403. Frames are already
 * compressed images, so entries are stored with the fastest deflate.
 */
public final class JobArchiveRoute implements HttpService {

  public static final String PREFIX = "/archives/";
  private static final Logger log = LoggerFactory.getLogger(JobArchiveRoute.class);

  private final TaskOutputs outputs;
  private final ResultStore results;
  private final SignedRoutes signatures;
  private final Executor blocking;

  public JobArchiveRoute(TaskOutputs outputs, ResultStore results, SignedRoutes signatures, Executor blocking) {
    this.outputs = outputs;
    this.results = results;
    this.signatures = signatures;
    this.blocking = blocking;
  }

  /** The signed path of a job's ZIP. */
  static String path(UUID jobId) {
    return PREFIX + jobId + ".zip";
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    if (req.method() != HttpMethod.GET) {
      return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed");
    }
    QueryParams query = QueryParams.fromQueryString(ctx.query() == null ? "" : ctx.query());
    String path = ctx.path();
    if (!signatures.verify(path, query.get("expires"), query.get("signature"))) {
      return error(HttpStatus.FORBIDDEN, "invalid or expired URL");
    }
    UUID jobId = UUID.fromString(path.substring(PREFIX.length(), path.length() - ".zip".length()));
    List<JobOutput> files = outputs.list(jobId);
    if (files.isEmpty()) {
      return error(HttpStatus.NOT_FOUND, "no outputs");
    }
    ResponseHeaders headers = ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.ZIP)
        .add(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + jobId + ".zip\"")
        .build();
    return HttpResponse.of(headers, StreamMessage.fromOutputStream(out -> write(jobId, files, out), blocking));
  }

  /**
   * Writes the ZIP. On a failure the ZIP is not finished (closing it would write a central
   * directory and make a partial archive look whole): the response is aborted instead.
   */
  private void write(UUID jobId, List<JobOutput> files, OutputStream out) {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setLevel(Deflater.BEST_SPEED);
    try {
      for (JobOutput file : files) {
        zip.putNextEntry(new ZipEntry(file.name()));
        try (InputStream in = results.open(file.objectKey())) {
          in.transferTo(zip);
        }
        zip.closeEntry();
      }
      zip.close();
    } catch (IOException e) {
      log.warn("streaming the ZIP of job {} stopped: {}", jobId, e.toString());
      throw new UncheckedIOException(e);
    }
  }

  private static HttpResponse error(HttpStatus status, String detail) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8, "{\"detail\":\"" + detail + "\"}");
  }
}
