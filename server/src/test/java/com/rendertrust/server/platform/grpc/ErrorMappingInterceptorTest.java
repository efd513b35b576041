package com.rendertrust.server.platform.grpc;

import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.GetJobRequest;
import com.rendertrust.api.v1.GetJobResponse;
import com.rendertrust.api.v1.Job;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.InProcessGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The one error model, at the interceptor: whatever way a handler fails, the client sees the mapped status. */
class ErrorMappingInterceptorTest {

  @RegisterExtension
  final InProcessGrpc grpc = new InProcessGrpc();

  private JobServiceGrpc.JobServiceBlockingStub serving(BiConsumer<GetJobRequest, StreamObserver<GetJobResponse>> getJob) {
    return JobServiceGrpc.newBlockingStub(grpc.serve(new JobServiceGrpc.JobServiceImplBase() {
      @Override
      public void getJob(GetJobRequest request, StreamObserver<GetJobResponse> responses) {
        getJob.accept(request, responses);
      }
    }, new ErrorMappingInterceptor()));
  }

  @Test
  void aThrownDomainExceptionLeavesAsItsReasonWithTheHttpStatusTrailer() {
    var jobs = serving((request, responses) -> {
      throw new DomainException(Reason.NOT_FOUND, "job not found");
    });

    StatusRuntimeException failure = (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(
        () -> jobs.getJob(GetJobRequest.newBuilder().setJobId("x").build()));
    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(failure.getStatus().getDescription()).isEqualTo("job not found");
    assertThat(failure.getTrailers().get(GrpcErrors.HTTP_STATUS_KEY)).isEqualTo("404");
    assertFails(() -> jobs.getJob(GetJobRequest.getDefaultInstance()), Status.Code.NOT_FOUND, "NOT_FOUND");
  }

  @Test
  void aFailureHandedToOnErrorIsMappedInsteadOfLeavingAsUnknown() {
    var jobs = serving((request, responses) -> responses.onError(
        new DomainException(Reason.JOB_NOT_CANCELLABLE, "the job has ended")));

    assertFails(() -> jobs.getJob(GetJobRequest.getDefaultInstance()), Status.Code.FAILED_PRECONDITION,
        "JOB_NOT_CANCELLABLE");
  }

  @Test
  void anUnexpectedExceptionIsInternalWithAnErrorIdAndNoInternalDetail() {
    var jobs = serving((request, responses) -> {
      throw new IllegalStateException("secret table name in a message");
    });

    StatusRuntimeException failure = assertThrowsStatus(() -> jobs.getJob(GetJobRequest.getDefaultInstance()));
    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(failure.getStatus().getDescription()).startsWith("internal error (error id ")
        .doesNotContain("secret");
  }

  @Test
  void aHandlerThatFailsAfterAnsweringDoesNotCloseTheCallTwice() {
    var jobs = serving((request, responses) -> {
      responses.onNext(GetJobResponse.newBuilder().setJob(Job.newBuilder().setId("job-1")).build());
      responses.onCompleted();
      throw new IllegalStateException("late failure after the answer");
    });

    assertThat(jobs.getJob(GetJobRequest.getDefaultInstance()).getJob().getId()).isEqualTo("job-1");
  }

  @Test
  void aStatusExceptionKeepsItsStatusAndTrailers() {
    Metadata.Key<String> key = Metadata.Key.of("x-extra", Metadata.ASCII_STRING_MARSHALLER);
    var jobs = serving((request, responses) -> {
      Metadata trailers = new Metadata();
      trailers.put(key, "kept");
      throw Status.RESOURCE_EXHAUSTED.withDescription("slow down").asRuntimeException(trailers);
    });

    StatusRuntimeException failure = assertThrowsStatus(() -> jobs.getJob(GetJobRequest.getDefaultInstance()));
    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(failure.getTrailers().get(key)).isEqualTo("kept");
  }

  private static StatusRuntimeException assertThrowsStatus(Runnable call) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call::run);
    assertThat(thrown).isInstanceOf(StatusRuntimeException.class);
    return (StatusRuntimeException) thrown;
  }
}
