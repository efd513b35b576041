package com.rendertrust.bench;

import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.JobServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The creators: one user (a real access token), one TCP connection (h2c) and one JobService
 * client each, submitting {@code echo} jobs through the public DispatchJob RPC.
 */
final class JobClients implements AutoCloseable {

  /** One creator's connection and stubs. */
  private record Creator(ManagedChannel channel, JobServiceGrpc.JobServiceBlockingStub blocking,
      JobServiceGrpc.JobServiceStub async) {
  }

  private static final DispatchJobRequest ECHO = DispatchJobRequest.newBuilder().setJobType("echo").build();

  private final List<Creator> creators = new ArrayList<>();
  private final JobTracker tracker;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();

  JobClients(int port, List<String> accessTokens, JobTracker tracker) {
    this.tracker = tracker;
    for (String token : accessTokens) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      var auth = MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(token));
      creators.add(new Creator(channel, JobServiceGrpc.newBlockingStub(channel).withInterceptors(auth),
          JobServiceGrpc.newStub(channel).withInterceptors(auth)));
    }
  }

  /** A closed loop running until {@link #stop}: each creator submits a job, waits until a node has finished it, repeats. */
  final class ClosedLoop {
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    private ClosedLoop() {
      for (int c = 0; c < creators.size(); c++) {
        Creator creator = creators.get(c);
        threads.add(Thread.ofPlatform().name("creator-" + c).start(() -> {
          while (!stopping.get()) {
            String jobId;
            try {
              DispatchJobResponse response = creator.blocking().withDeadlineAfter(10, TimeUnit.SECONDS).dispatchJob(ECHO);
              jobId = response.getJobId();
              accepted.incrementAndGet();
            } catch (StatusRuntimeException e) {
              rejected.incrementAndGet();
              System.err.println("submission failed: " + e.getStatus());
              continue;
            }
            try {
              tracker.completion(jobId).get(30, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
              lost.incrementAndGet();
              System.err.println("job " + jobId + " not finished by a node within 30 s");
            } catch (Exception e) {
              Thread.currentThread().interrupt();
              return;
            } finally {
              tracker.forget(jobId);
            }
          }
        }));
      }
    }

    void stop() throws InterruptedException {
      stopping.set(true);
      for (Thread thread : threads) {
        thread.join();
      }
    }
  }

  ClosedLoop startClosedLoop() {
    return new ClosedLoop();
  }

  /**
   * One submission of the open loop and the job it created: when it was due, when the sender got to
   * send it and when its answer came (System.nanoTime).
   */
  record Sent(String jobId, long dueNanos, long sentNanos, long answeredNanos) {
  }

  /**
   * Submits at a fixed {@code perSecond} for {@code seconds}, round-robin over the creators,
   * without waiting for answers (open loop). A submission's send time is when it was due, so a
   * sender or server falling behind shows in the latencies instead of lowering the rate.
   */
  List<Sent> openLoop(double perSecond, int seconds) throws InterruptedException {
    long period = (long) (1e9 / perSecond);
    int total = (int) Math.round(perSecond * seconds);
    List<Sent> sent = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger pending = new AtomicInteger(total);
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + i * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      Creator creator = creators.get(i % creators.size());
      long sentAt = System.nanoTime();
      creator.async().withDeadlineAfter(10, TimeUnit.SECONDS).dispatchJob(ECHO, new StreamObserver<>() {
        @Override
        public void onNext(DispatchJobResponse response) {
          accepted.incrementAndGet();
          sent.add(new Sent(response.getJobId(), due, sentAt, System.nanoTime()));
        }

        @Override
        public void onError(Throwable t) {
          rejected.incrementAndGet();
          System.err.println("submission failed: " + io.grpc.Status.fromThrowable(t));
          pending.decrementAndGet();
        }

        @Override
        public void onCompleted() {
          pending.decrementAndGet();
        }
      });
    }
    long answerDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (pending.get() > 0 && System.nanoTime() < answerDeadline) {
      Thread.sleep(10);
    }
    return List.copyOf(sent);
  }

  /** Submissions the server accepted (a job id came back). */
  long accepted() {
    return accepted.get();
  }

  /** Submissions that failed (any error status). */
  long rejected() {
    return rejected.get();
  }

  /** Closed-loop jobs that no node finished within 30 s. */
  long lost() {
    return lost.get();
  }

  @Override
  public void close() {
    creators.forEach(creator -> creator.channel().shutdownNow());
  }
}
