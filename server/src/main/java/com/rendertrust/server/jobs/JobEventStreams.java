package com.rendertrust.server.jobs;

import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.ListJobEventsResponse;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.stub.StreamObserver;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The events RPCs of JobService, served by the events feature (events.JobEventGrpc). The jobs
 * adapter checks that the caller owns the job (404 otherwise) and validates the request first.
 */
public interface JobEventStreams {

  /** The stored events of {@code job} after {@code afterSeq}, at most {@code limit}. */
  ListJobEventsResponse list(Job job, long afterSeq, int limit);

  /** Replays {@code job}'s events after {@code afterSeq}, then live ones, until a terminal event. */
  void watchJob(Job job, long afterSeq, StreamObserver<JobEvent> out);

  /** Every event of the user's jobs: stored ones after {@code after} (when given), then live ones. */
  void watchJobs(UUID userId, OptionalLong after, StreamObserver<JobEvent> out);

  /** No events feature wired (tests of the jobs feature alone). */
  JobEventStreams NONE = new JobEventStreams() {
    @Override
    public ListJobEventsResponse list(Job job, long afterSeq, int limit) {
      return ListJobEventsResponse.getDefaultInstance();
    }

    @Override
    public void watchJob(Job job, long afterSeq, StreamObserver<JobEvent> out) {
      throw new DomainException(Reason.DEPENDENCY_UNAVAILABLE, "job events are not available");
    }

    @Override
    public void watchJobs(UUID userId, OptionalLong after, StreamObserver<JobEvent> out) {
      throw new DomainException(Reason.DEPENDENCY_UNAVAILABLE, "job events are not available");
    }
  };
}
