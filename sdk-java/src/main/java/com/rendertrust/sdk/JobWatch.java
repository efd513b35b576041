package com.rendertrust.sdk;

import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.WatchJobRequest;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The events of one job as they happen (JobService/WatchJob): first the stored ones, then live
 * ones, each once and in seq order, ending after the job's terminal event. A broken connection
 * (UNAVAILABLE) is resumed after the last event received, a few times with a pause. Iterating
 * blocks until the next event; {@link #close} (or closing {@link #stream()}) cancels the call.
 * Failures arrive as {@link RenderTrustException}s ({@link NotFoundException} for another user's
 * job, {@link UnavailableException} when a deadline passes).
 */
public final class JobWatch implements Iterator<JobEvent>, AutoCloseable {

  private static final int MAX_RESUMES = 5;

  private final Channel channel;
  private final String jobId;
  /** System.nanoTime() after which the call fails with DEADLINE_EXCEEDED; null for none. */
  private final Long deadlineNanos;
  private final Runnable beforeEachCall;
  private Context.CancellableContext context;
  private Iterator<com.rendertrust.api.v1.JobEvent> events;
  private long lastSeq;
  private long returnedSeq;
  private int resumes;
  private boolean ended;
  private JobEvent next;

  JobWatch(Channel channel, String jobId, long afterSeq, Duration timeout, Runnable beforeEachCall) {
    this.channel = channel;
    this.jobId = jobId;
    this.lastSeq = afterSeq;
    this.returnedSeq = afterSeq;
    this.deadlineNanos = timeout == null ? null : System.nanoTime() + timeout.toNanos();
    this.beforeEachCall = beforeEachCall;
    open();
  }

  private void open() {
    beforeEachCall.run();
    context = Context.current().withCancellation();
    JobServiceGrpc.JobServiceBlockingStub stub = JobServiceGrpc.newBlockingStub(channel);
    if (deadlineNanos != null) {
      stub = stub.withDeadlineAfter(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    WatchJobRequest request = WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(lastSeq).build();
    Context previous = context.attach();
    try {
      events = stub.watchJob(request);
    } finally {
      context.detach(previous);
    }
  }

  @Override
  public boolean hasNext() {
    while (next == null && !ended) {
      try {
        if (events.hasNext()) {
          com.rendertrust.api.v1.JobEvent event = events.next();
          if (event.getSeq() > lastSeq) {
            next = JobEvent.of(event);
            lastSeq = event.getSeq();
          }
        } else {
          ended = true;
          close();
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && resumes < MAX_RESUMES) {
          resumes++;
          context.cancel(null);
          pause(200L * resumes);
          open();
          continue;
        }
        ended = true;
        close();
        throw Errors.translate(e);
      }
    }
    return next != null;
  }

  @Override
  public JobEvent next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the watch of job " + jobId + " has ended");
    }
    JobEvent event = next;
    next = null;
    returnedSeq = event.seq();
    return event;
  }

  /** The events as a stream; closing it cancels the watch. */
  public Stream<JobEvent> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
        false).onClose(this::close);
  }

  /** The seq of the last event returned (the {@code afterSeq} to resume with); 0 before any. */
  public long lastSeq() {
    return returnedSeq;
  }

  @Override
  public void close() {
    if (context != null) {
      context.cancel(null);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while resuming a watch", e);
    }
  }
}
