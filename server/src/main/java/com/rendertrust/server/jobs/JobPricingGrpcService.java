package com.rendertrust.server.jobs;

import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.EstimateJobResponse;
import com.rendertrust.api.v1.JobPricingServiceGrpc;
import com.rendertrust.api.v1.RetryJobRequest;
import com.rendertrust.api.v1.RetryJobResponse;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.auth.CallerContext;
import io.grpc.stub.StreamObserver;

/** gRPC adapter of {@link JobEstimates} and {@link JobRetries}. */
public final class JobPricingGrpcService extends JobPricingServiceGrpc.JobPricingServiceImplBase {

  private final JobEstimates estimates;
  private final JobRetries retries;

  public JobPricingGrpcService(JobEstimates estimates, JobRetries retries) {
    this.estimates = estimates;
    this.retries = retries;
  }

  @Override
  public void estimateJob(DispatchJobRequest request, StreamObserver<EstimateJobResponse> responses) {
    Estimate estimate = estimates.estimate(CallerContext.requireUser(), JobGrpcService.submission(request,
        request.hasIdempotencyKey() ? java.util.Optional.of(request.getIdempotencyKey()) : java.util.Optional.empty()));
    EstimateJobResponse.Builder response = EstimateJobResponse.newBuilder()
        .setJobType(estimate.jobType())
        .setTier(estimate.tier().wireName())
        .setFrames(estimate.frames())
        .setTasks(estimate.tasks())
        .setPrice(new CreditAmount(estimate.price()).toWire())
        .setAvailable(new CreditAmount(estimate.available()).toWire())
        .setSufficient(estimate.sufficient())
        .setEligibleNodes(estimate.eligibleNodes())
        .setFreeSlots(estimate.freeSlots())
        .setQueuedAhead(estimate.queuedAhead());
    estimate.estimatedStartSeconds().ifPresent(response::setEstimatedStartSeconds);
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void retryJob(RetryJobRequest request, StreamObserver<RetryJobResponse> responses) {
    Job job = retries.retry(CallerContext.requireUser(), request.getJobId());
    responses.onNext(RetryJobResponse.newBuilder().setJob(JobGrpcService.toProto(job)).build());
    responses.onCompleted();
  }
}
