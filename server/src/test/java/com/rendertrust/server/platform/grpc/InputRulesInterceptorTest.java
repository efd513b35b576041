package com.rendertrust.server.platform.grpc;

import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.server.testing.InProcessGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.StreamRecorder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Input rules before any handler: a refused message never reaches it, on unary calls and on streams. */
class InputRulesInterceptorTest {

  @RegisterExtension
  final InProcessGrpc grpc = new InProcessGrpc();

  private final List<DispatchJobRequest> handled = new CopyOnWriteArrayList<>();

  private JobServiceGrpc.JobServiceBlockingStub jobs() {
    return JobServiceGrpc.newBlockingStub(grpc.serve(new JobServiceGrpc.JobServiceImplBase() {
      @Override
      public void dispatchJob(DispatchJobRequest request, StreamObserver<DispatchJobResponse> responses) {
        handled.add(request);
        responses.onNext(DispatchJobResponse.newBuilder().setJobId("job-1").setStatus("QUEUED").build());
        responses.onCompleted();
      }
    }, new ErrorMappingInterceptor(), new InputRulesInterceptor()));
  }

  @Test
  void aCleanRequestReachesTheHandler() {
    assertThat(jobs().dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo").build()).getJobId())
        .isEqualTo("job-1");
    assertThat(handled).hasSize(1);
  }

  @Test
  void aNulCharacterIsRefusedWith422NamingTheFieldAndTheHandlerNeverRuns() {
    var failure = assertFails(() -> jobs().dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo")
        .setPayloadRef("s3://bucket/a\u0000b").build()), Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");

    assertThat(failure.getMetadataMap()).containsEntry("field", "payload_ref");
    assertThat(handled).isEmpty();
  }

  @Test
  void aPayloadNestedBeyondTheDepthLimitIsRefused() {
    Value nested = Value.newBuilder().setStringValue("leaf").build();
    for (int depth = 0; depth < 40; depth++) {
      nested = Value.newBuilder().setListValue(ListValue.newBuilder().addValues(nested)).build();
    }
    Struct payload = Struct.newBuilder().putFields("deep", nested).build();

    assertFails(() -> jobs().dispatchJob(DispatchJobRequest.newBuilder().setJobType("echo").setPayload(payload).build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(handled).isEmpty();
  }

  @Test
  void onAStreamNoMessageAfterARefusedOneReachesTheHandler() throws Exception {
    List<ConnectRequest> received = new CopyOnWriteArrayList<>();
    var nodes = NodeServiceGrpc.newStub(grpc.serve(new NodeServiceGrpc.NodeServiceImplBase() {
      @Override
      public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responses) {
        return new StreamObserver<>() {
          @Override
          public void onNext(ConnectRequest request) {
            received.add(request);
          }

          @Override
          public void onError(Throwable t) {
          }

          @Override
          public void onCompleted() {
            responses.onCompleted();
          }
        };
      }
    }, new ErrorMappingInterceptor(), new InputRulesInterceptor()));
    StreamRecorder<ConnectResponse> responses = StreamRecorder.create();

    StreamObserver<ConnectRequest> requests = nodes.connect(responses);
    requests.onNext(heartbeatWithError("fine"));
    requests.onNext(heartbeatWithError("bad\u0000"));
    requests.onNext(heartbeatWithError("fine again"));
    requests.onCompleted();

    assertThat(responses.awaitCompletion(5, TimeUnit.SECONDS)).isTrue();
    assertThat(Status.fromThrowable(responses.getError()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(received).hasSize(1);
  }

  private static ConnectRequest heartbeatWithError(String text) {
    return ConnectRequest.newBuilder().setResult(com.rendertrust.api.v1.JobResult.newBuilder().setJobId("job")
        .setErrorMessage(text)).build();
  }
}
