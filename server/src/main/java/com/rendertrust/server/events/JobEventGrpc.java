package com.rendertrust.server.events;

import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.ListJobEventsResponse;
import com.rendertrust.server.jobs.Job;
import com.rendertrust.server.jobs.JobEventStreams;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/** gRPC side of the events RPCs of JobService (the jobs adapter checked ownership and input). */
final class JobEventGrpc implements JobEventStreams {

  private final Events events;

  JobEventGrpc(Events events) {
    this.events = events;
  }

  @Override
  public ListJobEventsResponse list(Job job, long afterSeq, int limit) {
    List<StoredEvent> page = events.log().forJob(job.id(), afterSeq, limit);
    ListJobEventsResponse.Builder response = ListJobEventsResponse.newBuilder().setCount(page.size());
    page.forEach(event -> response.addEvents(toProto(event)));
    return response.build();
  }

  @Override
  public void watchJob(Job job, long afterSeq, StreamObserver<JobEvent> out) {
    Watch watch = events.newWatch(job.id(), job.userId(), sink(out));
    wire(out, watch);
    watch.startJob(afterSeq, job.status().isTerminal());
  }

  @Override
  public void watchJobs(UUID userId, OptionalLong after, StreamObserver<JobEvent> out) {
    Watch watch = events.newWatch(null, userId, sink(out));
    wire(out, watch);
    watch.startUser(after.isPresent() ? after.getAsLong() : null);
  }

  /** Cancellation ends the watch; the transport's readiness drives its flow control. */
  private static void wire(StreamObserver<JobEvent> out, Watch watch) {
    if (out instanceof ServerCallStreamObserver<JobEvent> call) {
      call.setOnCancelHandler(watch::cancel);
      call.setOnReadyHandler(watch::ready);
    }
  }

  private static Watch.Sink sink(StreamObserver<JobEvent> out) {
    return new Watch.Sink() {
      @Override
      public void send(OutgoingEvent event) {
        out.onNext(event.encoded(JobEventGrpc::toProto)); // built once, shared by every stream
      }

      @Override
      public boolean ready() {
        return !(out instanceof ServerCallStreamObserver<JobEvent> call) || call.isReady();
      }

      @Override
      public void complete() {
        out.onCompleted();
      }

      @Override
      public void fail(RuntimeException cause) {
        try {
          String why = cause instanceof Watch.FellBehind || cause instanceof ReplayReader.Overloaded
              ? cause.getMessage() : "the event stream failed; resume with after_seq";
          out.onError(Status.UNAVAILABLE.withDescription(why).asRuntimeException());
        } catch (RuntimeException alreadyClosed) {
          // the call ended meanwhile
        }
      }
    };
  }

  static JobEvent toProto(StoredEvent event) {
    JobEvent.Builder proto = JobEvent.newBuilder()
        .setId(event.id())
        .setSeq(event.seq())
        .setType(event.type())
        .setJobId(event.jobId().toString())
        .setStatus(event.status())
        .setAt(event.atText());
    event.taskId().ifPresent(task -> proto.setTaskId(task.toString()));
    event.nodeId().ifPresent(node -> proto.setNodeId(node.toString()));
    event.progress().ifPresent(proto::setProgress);
    event.framesDone().ifPresent(proto::setFramesDone);
    event.errorCode().ifPresent(proto::setErrorCode);
    event.message().ifPresent(proto::setMessage);
    return proto.build();
  }
}
