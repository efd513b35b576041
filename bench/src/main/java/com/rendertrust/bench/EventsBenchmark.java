package com.rendertrust.bench;

import static com.rendertrust.bench.BenchSetup.deleteQuietly;

import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.jobs.JobEvents;
import com.rendertrust.server.jobs.JobStatus;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Transactions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Live job events: W concurrent WatchJob streams (real gRPC over h2c on the replica's port) while
 * events are committed at R per second, each in its own transaction through the events log, over
 * J jobs (round robin). Latency is measured per delivered event: the watcher's receive time
 * minus the event's {@code at} (taken at insert, before the commit, so it includes the commit).
 * The baseline, in the same run: one watcher per job (J watchers), same rate. Prints p50/p99/max
 * for both and the verdict (goal: p99 < 50 ms with 1,000 watchers at 200 events/s).
 *   bench/run-events.sh [--watchers 1000] [--jobs 100] [--rate 200] [--seconds 20] [--warmup 5]
 */
public final class EventsBenchmark {

  private record Options(int watchers, int jobs, int rate, int seconds, int warmup) {
    static Options parse(String[] args) {
      int watchers = 1000;
      int jobs = 100;
      int rate = 200;
      int seconds = 20;
      int warmup = 5;
      for (int i = 0; i < args.length; i += 2) {
        int value = Integer.parseInt(args[i + 1]);
        switch (args[i]) {
          case "--watchers" -> watchers = value;
          case "--jobs" -> jobs = value;
          case "--rate" -> rate = value;
          case "--seconds" -> seconds = value;
          case "--warmup" -> warmup = value;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return new Options(watchers, jobs, rate, seconds, warmup);
    }
  }

  private record Result(String name, int watchers, long delivered, long expected, double p50, double p99,
      double max) {
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path dataDir = Files.createTempDirectory("rendertrust-bench-events");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
         ControlPlane plane = ControlPlane.start(BenchSetup.serverConfig(dataDir, postgres, 32, JobsConfig.defaults()))) {
      UUID user = UUID.randomUUID();
      String token = plane.identity().tokens().issueAccess(user, UUID.randomUUID(), Role.USER).value();
      List<ManagedChannel> channels = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", plane.httpPort()).usePlaintext().build());
      }
      try {
        String loadBefore = LoadAverage.now();
        Result warm = run(plane, channels, token, user, options.jobs(), options.jobs(), options.rate(),
            options.warmup(), "warm-up");
        Result baseline = run(plane, channels, token, user, options.jobs(), options.jobs(), options.rate(),
            options.seconds(), "baseline");
        Result load = run(plane, channels, token, user, options.jobs(), options.watchers(), options.rate(),
            options.seconds(), "load");
        System.out.printf("%nlive job events: %d events/s over %d jobs, %d s per run (warm-up %d s, p99 %.1f ms)%n",
            options.rate(), options.jobs(), options.seconds(), options.warmup(), warm.p99());
        System.out.printf("load average (1/5/15 min): %s at the start, %s at the end%n", loadBefore,
            LoadAverage.now());
        System.out.println("| run | watchers | delivered / expected | p50 (ms) | p99 (ms) | max (ms) |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Result r : List.of(baseline, load)) {
          System.out.printf("| %s | %d | %d / %d | %.1f | %.1f | %.1f |%n", r.name(), r.watchers(), r.delivered(),
              r.expected(), r.p50(), r.p99(), r.max());
        }
        boolean complete = load.delivered() == load.expected() && baseline.delivered() == baseline.expected();
        System.out.printf("VERDICT: %s (event commit -> watcher p99 %.1f ms with %d watchers, goal < 50 ms; "
                + "baseline %.1f ms with %d; %s)%n", load.p99() < 50 && complete ? "PASS" : "FAIL", load.p99(),
            load.watchers(), baseline.p99(), baseline.watchers(),
            complete ? "every event reached every watcher" : "EVENTS MISSING");
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
      }
    } finally {
      deleteQuietly(dataDir);
    }
  }

  /** One run: fresh jobs, {@code watchers} streams spread over them, events at {@code rate} for {@code seconds}. */
  private static Result run(ControlPlane plane, List<ManagedChannel> channels, String token, UUID user, int jobCount,
      int watcherCount, int rate, int seconds, String name) throws InterruptedException {
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < jobCount; i++) {
      UUID job = UUID.randomUUID();
      plane.database().dsl().execute("""
          INSERT INTO jobs (id, user_id, job_type, priority, priority_rank, gpu_required, status, price, settlement,
                            request_hash, created_at, updated_at)
          VALUES (?, ?, 'echo', 'normal', 1, false, 'QUEUED', 0, 'NONE', 'bench', now(), now())""", job, user);
      jobs.add(job);
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
    AtomicLong delivered = new AtomicLong();
    AtomicInteger measuring = new AtomicInteger(1);
    CountDownLatch ended = new CountDownLatch(watcherCount);
    for (int w = 0; w < watcherCount; w++) {
      if (w > 0 && w % 50 == 0) {
        Thread.sleep(100); // open streams in waves, as clients would: each start reads the job and its events
      }
      UUID job = jobs.get(w % jobCount);
      JobServiceGrpc.newStub(channels.get(w % channels.size()))
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .watchJob(WatchJobRequest.newBuilder().setJobId(job.toString()).build(), new StreamObserver<>() {
            @Override
            public void onNext(com.rendertrust.api.v1.JobEvent event) {
              long micros = Duration.between(Instant.parse(event.getAt()), Instant.now()).toNanos() / 1000;
              if (measuring.get() == 1 && event.getType().equals("task.progress")) {
                latenciesMicros.add(micros);
                delivered.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {
              System.err.println("watch failed: " + t);
              ended.countDown();
            }

            @Override
            public void onCompleted() {
              ended.countDown();
            }
          });
    }
    Thread.sleep(2000); // every stream open and subscribed
    JobEvents events = plane.events().log();
    Transactions transactions = new Transactions(plane.database().dsl());
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long total = (long) rate * seconds;
    long start = System.nanoTime();
    for (long i = 0; i < total; i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      UUID job = jobs.get((int) (i % jobCount));
      long n = i;
      transactions.transactionResult(cfg -> {
        events.record(cfg.dsl(), JobEvents.Event.ofTask(JobEvents.Type.TASK_PROGRESS, job, UUID.randomUUID(), null,
            JobStatus.RUNNING).withProgress((n % 100) / 100.0, (int) n));
        return null;
      });
    }
    Thread.sleep(3000); // stragglers
    measuring.set(0);
    long expected = total * (watcherCount / jobCount);
    for (UUID job : jobs) {
      transactions.transactionResult(cfg -> {
        events.record(cfg.dsl(), JobEvents.Event.ofJob(JobEvents.Type.JOB_COMPLETED, job, JobStatus.COMPLETED));
        return null;
      });
    }
    if (!ended.await(60, TimeUnit.SECONDS)) {
      System.err.println(name + ": " + ended.getCount() + " watches did not end");
    }
    long[] sorted = latenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    System.err.printf("%s: %d watchers, %d deliveries%n", name, watcherCount, sorted.length);
    return new Result(name, watcherCount, delivered.get(), expected, percentile(sorted, 0.50), percentile(sorted, 0.99),
        sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1000.0);
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1000.0;
  }

  private EventsBenchmark() {
  }
}
