package com.rendertrust.server.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.ListJobEventsRequest;
import com.rendertrust.api.v1.ListJobEventsResponse;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.GrpcErrors;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.http.RpcFailures;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/jobs/{job_id}/events} with {@code Accept: text/event-stream}: the job's
 * events as Server-Sent Events ({@code id:} seq, {@code event:} type, {@code data:} the event
 * JSON), served over JobService/WatchJob, called on the client's behalf with its credentials
 * (so authentication, access policy, ownership and input rules are exactly the RPC's). A
 * {@code Last-Event-ID} header (or {@code ?after_seq}) resumes after that seq; without, the
 * replay starts at seq 1. Errors before the stream starts answer the REST error (401, 404,
 * 422); the stream closes after a terminal event. A comment line every {@link #KEEPALIVE} keeps
 * proxies from closing an idle stream. At most {@link #SSE_WINDOW} events are in flight to a
 * client: the watch behind the stream sees a slow client as a slow watcher.
 */
public final class JobEventStreamRoute implements HttpService {

  public static final Pattern PATH = Pattern.compile("/api/v1/jobs/([^/]+)/events");
  static final Duration KEEPALIVE = Duration.ofSeconds(15);
  /** Events in flight between the watch and an SSE client's connection (gRPC flow control). */
  static final int SSE_WINDOW = 32;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FORWARDED = List.of("authorization", "x-api-key", "x-forwarded-for");

  private final Channel loopback;

  /** {@code loopback}: a channel to this replica's own gRPC services (with their interceptors). */
  public JobEventStreamRoute(Channel loopback) {
    this.loopback = loopback;
  }

  /** The route for {@link HttpEdge}: this service for requests of the path that accept SSE. */
  public HttpEdge.StreamRoute streamRoute() {
    return new HttpEdge.StreamRoute(PATH, MediaType.EVENT_STREAM, this);
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    if (req.method() != HttpMethod.GET) {
      return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    Matcher path = PATH.matcher(ctx.path());
    if (!path.matches()) {
      return HttpResponse.of(HttpStatus.NOT_FOUND);
    }
    String jobId = path.group(1);
    long afterSeq;
    try {
      afterSeq = afterSeq(req, QueryParams.fromQueryString(ctx.query()));
    } catch (DomainException bad) {
      return RpcFailures.toHttp(GrpcErrors.toStatusException(bad));
    }
    Metadata credentials = new Metadata();
    for (String name : FORWARDED) {
      String value = req.headers().get(name);
      if (value != null) {
        credentials.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
    Channel channel = io.grpc.ClientInterceptors.intercept(loopback,
        MetadataUtils.newAttachHeadersInterceptor(credentials));
    // first a one-event read: answers 401/404/422 as a plain REST error before any stream starts
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    Futures.addCallback(JobServiceGrpc.newFutureStub(channel).listJobEvents(ListJobEventsRequest.newBuilder()
            .setJobId(jobId).setAfterSeq(afterSeq).setLimit(1).build()),
        new FutureCallback<ListJobEventsResponse>() {
          @Override
          public void onSuccess(ListJobEventsResponse checked) {
            response.complete(stream(ctx, channel, jobId, afterSeq));
          }

          @Override
          public void onFailure(Throwable failure) {
            response.complete(RpcFailures.toHttp(failure));
          }
        }, MoreExecutors.directExecutor());
    return HttpResponse.of(response);
  }

  private static long afterSeq(HttpRequest req, QueryParams query) {
    String lastEventId = req.headers().get("last-event-id");
    String text = lastEventId != null && !lastEventId.isBlank() ? lastEventId.strip() : query.get("after_seq");
    if (text == null || text.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new DomainException(Reason.VALIDATION_FAILED,
          (lastEventId != null ? "Last-Event-ID" : "after_seq") + " must be an integer", Map.of("field", "after_seq"));
    }
  }

  private HttpResponse stream(ServiceRequestContext ctx, Channel channel, String jobId, long afterSeq) {
    HttpResponseWriter writer = HttpResponse.streaming();
    writer.write(ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.EVENT_STREAM)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set("x-accel-buffering", "no")
        .build());
    AtomicReference<ClientCallStreamObserver<WatchJobRequest>> call = new AtomicReference<>();
    long keepalive = KEEPALIVE.toMillis();
    ScheduledFuture<?> pings = ctx.eventLoop().scheduleAtFixedRate(
        () -> writer.tryWrite(HttpData.ofUtf8(": keepalive\n\n")), keepalive, keepalive, TimeUnit.MILLISECONDS);
    writer.whenComplete().handle((done, failure) -> {
      pings.cancel(false);
      ClientCallStreamObserver<WatchJobRequest> open = call.get();
      if (open != null) {
        open.cancel("the SSE client went away", null);
      }
      return null;
    });
    JobServiceGrpc.newStub(channel).watchJob(WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(afterSeq).build(),
        new ClientResponseObserver<WatchJobRequest, JobEvent>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchJobRequest> requestStream) {
            call.set(requestStream);
            requestStream.disableAutoRequestWithInitial(SSE_WINDOW);
          }

          @Override
          public void onNext(JobEvent event) {
            // the next event is asked for once this one reached the client's connection: a slow
            // SSE client slows its watch (which then resyncs from the table), not the server's memory
            if (writer.tryWrite(HttpData.ofUtf8(frame(event)))) {
              writer.whenConsumed().thenRun(() -> call.get().request(1));
            }
          }

          @Override
          public void onError(Throwable failure) {
            if (!(failure instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.CANCELLED)) {
              writer.tryWrite(HttpData.ofUtf8("event: error\ndata: " + errorJson(failure) + "\n\n"));
            }
            writer.close();
          }

          @Override
          public void onCompleted() {
            writer.close();
          }
        });
    return writer;
  }

  /** One SSE message: id = seq, event = type, data = the event JSON (absent fields as null). */
  static String frame(JobEvent event) {
    ObjectNode data = JSON.createObjectNode();
    data.put("id", event.getId());
    data.put("seq", event.getSeq());
    data.put("type", event.getType());
    data.put("job_id", event.getJobId());
    data.put("task_id", event.hasTaskId() ? event.getTaskId() : null);
    data.put("node_id", event.hasNodeId() ? event.getNodeId() : null);
    data.put("status", event.getStatus());
    data.put("progress", event.hasProgress() ? event.getProgress() : null);
    data.put("frames_done", event.hasFramesDone() ? event.getFramesDone() : null);
    data.put("error_code", event.hasErrorCode() ? event.getErrorCode() : null);
    data.put("message", event.hasMessage() ? event.getMessage() : null);
    data.put("at", event.getAt());
    return "id: " + event.getSeq() + "\nevent: " + event.getType() + "\ndata: " + data + "\n\n";
  }

  private static String errorJson(Throwable failure) {
    com.google.rpc.Status details = StatusProto.fromThrowable(failure);
    ObjectNode body = JSON.createObjectNode();
    body.put("detail", details != null ? details.getMessage() : "the event stream failed; resume with Last-Event-ID");
    return body.toString();
  }
}
