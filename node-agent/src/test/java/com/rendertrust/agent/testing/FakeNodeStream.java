package com.rendertrust.agent.testing;

import com.rendertrust.api.v1.CancelJob;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Drain;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** One Connect stream as {@link FakeControlPlane} sees it. */
public final class FakeNodeStream {
  public final String nodeId;
  public final Hello hello;
  public final Instant openedAt = Instant.now();
  private final ServerCallStreamObserver<ConnectResponse> responses;
  final List<ConnectRequest> frames = new CopyOnWriteArrayList<>();
  volatile boolean ended;
  volatile boolean endedByClient;

  FakeNodeStream(String nodeId, Hello hello, ServerCallStreamObserver<ConnectResponse> responses) {
    this.nodeId = nodeId;
    this.hello = hello;
    this.responses = responses;
  }

  public List<ConnectRequest> frames() {
    return List.copyOf(frames);
  }

  public boolean ended() {
    return ended;
  }

  /** True when the agent half-closed the stream (a clean shutdown). */
  public boolean endedByClient() {
    return endedByClient;
  }

  public synchronized void send(ConnectResponse frame) {
    if (!ended) {
      responses.onNext(frame);
    }
  }

  public void dispatch(JobDispatch dispatch) {
    send(ConnectResponse.newBuilder().setDispatch(dispatch).build());
  }

  public void cancel(String jobId, String assignmentId, String reason) {
    send(ConnectResponse.newBuilder().setCancel(CancelJob.newBuilder().setJobId(jobId).setAssignmentId(assignmentId)
        .setReason(reason)).build());
  }

  public void drain(String reason, int graceSeconds) {
    send(ConnectResponse.newBuilder().setDrain(Drain.newBuilder().setReason(reason).setGraceSeconds(graceSeconds)).build());
  }

  /** Ends the stream with an error, as a server restart or network failure would. */
  public synchronized void drop(Status status) {
    if (!ended) {
      ended = true;
      responses.onError(status.asRuntimeException());
    }
  }

  /** Ends the stream cleanly from the server side (as after a drain grace). */
  public synchronized void close() {
    if (!ended) {
      ended = true;
      responses.onCompleted();
    }
  }
}
