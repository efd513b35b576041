package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.input.InputRules;
import com.google.protobuf.Struct;
import com.rendertrust.api.v1.CancelJobRequest;
import com.rendertrust.api.v1.CancelJobResponse;
import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.GetJobRequest;
import com.rendertrust.api.v1.GetJobResponse;
import com.rendertrust.api.v1.GetJobResultRequest;
import com.rendertrust.api.v1.GetJobResultResponse;
import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.ListJobEventsRequest;
import com.rendertrust.api.v1.ListJobEventsResponse;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.api.v1.WatchJobsRequest;
import com.rendertrust.api.v1.ListJobOutputsRequest;
import com.rendertrust.api.v1.ListJobOutputsResponse;
import com.rendertrust.api.v1.ListJobTasksRequest;
import com.rendertrust.api.v1.ListJobTasksResponse;
import com.rendertrust.api.v1.ListJobsRequest;
import com.rendertrust.api.v1.ListJobsResponse;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.grpc.StructJson;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** gRPC adapter of {@link JobService}: proto in, domain records through, proto out. */
public final class JobGrpcService extends JobServiceGrpc.JobServiceImplBase {

  private final JobService jobs;
  private final JobDetails details;
  private final JobEventStreams events;

  public JobGrpcService(JobService jobs, JobDetails details) {
    this(jobs, details, JobEventStreams.NONE);
  }

  public JobGrpcService(JobService jobs, JobDetails details, JobEventStreams events) {
    this.jobs = jobs;
    this.details = details;
    this.events = events;
  }

  /** The service with the interceptor that lifts the {@code Idempotency-Key} header. */
  public BindableService withHeaderSupport() {
    ServerServiceDefinition definition = ServerInterceptors.intercept(this, new IdempotencyKeyInterceptor());
    return () -> definition;
  }

  @Override
  public void dispatchJob(DispatchJobRequest request, StreamObserver<DispatchJobResponse> responses) {
    var userId = CallerContext.requireUser();
    Optional<String> bodyKey = request.hasIdempotencyKey() ? Optional.of(request.getIdempotencyKey()) : Optional.empty();
    Optional<String> headerKey = Optional.ofNullable(IdempotencyKeyInterceptor.KEY.get());
    if (bodyKey.isPresent() && headerKey.isPresent() && !bodyKey.equals(headerKey)) {
      throw new DomainException(Reason.INVALID_ARGUMENT, "idempotency_key and the Idempotency-Key header differ");
    }
    DispatchOutcome outcome = jobs.submit(userId, submission(request, bodyKey.or(() -> headerKey)));
    DispatchJobResponse.Builder response = DispatchJobResponse.newBuilder()
        .setJobId(outcome.jobId().toString())
        .setStatus(outcome.status().name());
    outcome.nodeId().ifPresent(node -> response.setNodeId(node.toString()));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  /** The submission a dispatch (or estimate) request describes. */
  static JobSubmission submission(DispatchJobRequest request, Optional<String> idempotencyKey) {
    return new JobSubmission(
        request.getJobType(),
        request.hasPayloadRef() ? Optional.of(request.getPayloadRef()) : Optional.empty(),
        request.hasPayload() ? Optional.of(json(request.getPayload())) : Optional.empty(),
        request.getPriority(),
        request.getGpuRequired(),
        idempotencyKey,
        request.hasInputId() ? Optional.of(request.getInputId()) : Optional.empty(),
        request.getTier());
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> responses) {
    JobPage page = jobs.list(CallerContext.requireUser(), request.getStatus(),
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder().setCount(page.count());
    page.jobs().forEach(job -> response.addJobs(toProto(job)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<GetJobResponse> responses) {
    Job job = jobs.get(CallerContext.requireUser(), request.getJobId());
    responses.onNext(GetJobResponse.newBuilder().setJob(toProto(job)).build());
    responses.onCompleted();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<CancelJobResponse> responses) {
    Job job = jobs.cancel(CallerContext.requireUser(), request.getJobId());
    responses.onNext(CancelJobResponse.newBuilder().setJob(toProto(job)).build());
    responses.onCompleted();
  }

  @Override
  public void getJobResult(GetJobResultRequest request, StreamObserver<GetJobResultResponse> responses) {
    ResultLink link = jobs.result(CallerContext.requireUser(), request.getJobId());
    responses.onNext(GetJobResultResponse.newBuilder()
        .setJobId(link.jobId().toString())
        .setDownloadUrl(link.downloadUrl().toString())
        .setExpiresIn((int) link.expiresInSeconds())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listJobTasks(ListJobTasksRequest request, StreamObserver<ListJobTasksResponse> responses) {
    var tasks = details.tasks(CallerContext.requireUser(), request.getJobId());
    ListJobTasksResponse.Builder response = ListJobTasksResponse.newBuilder().setCount(tasks.size());
    for (JobTask task : tasks) {
      com.rendertrust.api.v1.JobTask.Builder proto = response.addTasksBuilder()
          .setId(task.id().toString())
          .setIndex(task.index())
          .setStatus(task.status().name())
          .setAttempts(task.attempts());
      task.frameStart().ifPresent(proto::setFrameStart);
      task.frameEnd().ifPresent(proto::setFrameEnd);
      task.nodeId().ifPresent(node -> proto.setNodeId(node.toString()));
      task.startedAt().ifPresent(at -> proto.setStartedAt(timestamp(at)));
      task.completedAt().ifPresent(at -> proto.setCompletedAt(timestamp(at)));
      task.errorCode().ifPresent(proto::setErrorCode);
      task.errorMessage().ifPresent(proto::setErrorMessage);
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void listJobOutputs(ListJobOutputsRequest request, StreamObserver<ListJobOutputsResponse> responses) {
    OutputLinks links = details.outputs(CallerContext.requireUser(), request.getJobId());
    ListJobOutputsResponse.Builder response = ListJobOutputsResponse.newBuilder()
        .setCount(links.outputs().size())
        .setExpiresIn((int) links.expiresInSeconds());
    for (OutputLinks.Link link : links.outputs()) {
      response.addOutputsBuilder()
          .setFrame(link.output().frame())
          .setName(link.output().name())
          .setSizeBytes(link.output().sizeBytes())
          .setSha256(link.output().sha256())
          .setContentType(link.output().contentType())
          .setDownloadUrl(link.downloadUrl().toString());
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }

  private static final int MAX_EVENTS_PAGE = 1000;
  private static final int DEFAULT_EVENTS_PAGE = 500;

  @Override
  public void listJobEvents(ListJobEventsRequest request, StreamObserver<ListJobEventsResponse> responses) {
    var userId = CallerContext.requireUser();
    long afterSeq = nonNegative("after_seq", request.getAfterSeq());
    int limit = request.hasLimit() ? request.getLimit() : DEFAULT_EVENTS_PAGE;
    if (limit < 1 || limit > MAX_EVENTS_PAGE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + MAX_EVENTS_PAGE,
          Map.of("field", "limit"));
    }
    responses.onNext(events.list(jobs.get(userId, request.getJobId()), afterSeq, limit));
    responses.onCompleted();
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> responses) {
    var userId = CallerContext.requireUser();
    long afterSeq = nonNegative("after_seq", request.getAfterSeq());
    events.watchJob(jobs.get(userId, request.getJobId()), afterSeq, responses);
  }

  @Override
  public void watchJobs(WatchJobsRequest request, StreamObserver<JobEvent> responses) {
    var userId = CallerContext.requireUser();
    events.watchJobs(userId, request.hasAfter() ? OptionalLong.of(nonNegative("after", request.getAfter()))
        : OptionalLong.empty(), responses);
  }

  private static long nonNegative(String field, long value) {
    if (value < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, field + " must not be negative", Map.of("field", field));
    }
    return value;
  }

  /** The contract's Job message (also the admin service's). */
  public static com.rendertrust.api.v1.Job toProto(Job job) {
    com.rendertrust.api.v1.Job.Builder proto = com.rendertrust.api.v1.Job.newBuilder()
        .setId(job.id().toString())
        .setJobType(job.jobType())
        .setStatus(job.status().name())
        .setRetryCount(job.retryCount())
        .setCreatedAt(timestamp(job.createdAt()))
        .setUpdatedAt(timestamp(job.updatedAt()))
        .setPriority(job.priority().wireName())
        .setFramesTotal(job.framesTotal())
        .setFramesDone(job.framesDone())
        .setTasksTotal(job.tasksTotal())
        .setTasksDone(job.tasksDone())
        .setProgress(job.progress())
        .setNodeProgress(Math.min(1.0, job.reportedProgress()))
        .setFramesRendered(job.reportedFrames())
        .setTier(job.tier().wireName())
        .setPrice(new CreditAmount(job.price()).toWire());
    job.charged().ifPresent(charged -> proto.setCharged(new CreditAmount(charged).toWire()));
    job.errorCode().ifPresent(proto::setErrorCode);
    job.inputId().ifPresent(input -> proto.setInputId(input.toString()));
    job.nodeId().ifPresent(node -> proto.setNodeId(node.toString()));
    job.payloadRef().ifPresent(proto::setPayloadRef);
    job.resultRef().ifPresent(proto::setResultRef);
    job.errorMessage().ifPresent(proto::setErrorMessage);
    job.queuedAt().ifPresent(at -> proto.setQueuedAt(timestamp(at)));
    job.dispatchedAt().ifPresent(at -> proto.setDispatchedAt(timestamp(at)));
    job.completedAt().ifPresent(at -> proto.setCompletedAt(timestamp(at)));
    return proto.build();
  }

  /** RFC 3339, UTC, microseconds (PostgreSQL's precision). */
  private static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS).toString();
  }

  private static String json(Struct struct) {
    return StructJson.print(struct, Reason.VALIDATION_FAILED, "payload");
  }
}
