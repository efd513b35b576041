package com.rendertrust.bench;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.LedgerInvariants;
import com.rendertrust.server.platform.config.JobsConfig;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * The frames run (issue 13): one render job of {@code --frames} frames (1,000) with
 * {@code frames_per_task} 1, submitted over the public JobService to a real control plane on
 * embedded PostgreSQL, run by {@code --nodes} simulated nodes of {@code --slots} slots that
 * upload and report every frame (the server checks each stored object) and complete at once.
 * After a warm-up job of one frame per slot, reports the submission's latency, the time from submission until the last task is dispatched,
 * tasks/s until the job completes, and checks that every frame was delivered, the job's hold was
 * captured once, and the ledger invariants hold. Ends with a verdict line.
 *
 * <p>{@code bench/run-frames.sh [--nodes 8] [--slots 4] [--frames 1000] [--pool 32]}
 */
public final class FramesBenchmark {

  /** A 1,000-frame job must not take seconds to submit. */
  private static final double SUBMIT_GOAL_MS = 1000;

  private record Options(int nodes, int slots, int frames, int pool) {

    static Options parse(String[] args) {
      int nodes = 8;
      int slots = 4;
      int frames = 1000;
      int pool = 32;
      for (int i = 0; i < args.length; i += 2) {
        int value = Integer.parseInt(args[i + 1]);
        switch (args[i]) {
          case "--nodes" -> nodes = value;
          case "--slots" -> slots = value;
          case "--frames" -> frames = value;
          case "--pool" -> pool = value;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return new Options(nodes, slots, frames, pool);
    }
  }

  private FramesBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path dataDir = Files.createTempDirectory("rendertrust-frames");
    int exit;
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
         ControlPlane controlPlane = ControlPlane.start(
             BenchSetup.serverConfig(dataDir, postgres, options.pool(), JobsConfig.defaults()))) {
      exit = run(options, controlPlane);
    } finally {
      BenchSetup.deleteQuietly(dataDir);
    }
    System.exit(exit);
  }

  private static int run(Options options, ControlPlane controlPlane) throws InterruptedException {
    int port = controlPlane.httpPort();
    DSLContext db = controlPlane.database().dsl();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    List<SimulatedNode> nodes = new ArrayList<>();
    try {
      AuthServiceGrpc.AuthServiceBlockingStub auth = AuthServiceGrpc.newBlockingStub(channel);
      String runId = UUID.randomUUID().toString().substring(0, 8);
      RegisterResponse creator = BenchSetup.register(auth, "frames-creator-" + runId);
      controlPlane.credits().adjust(UUID.fromString(creator.getUser().getId()),
          CreditAmount.ofCredits(10L * (options.frames() + options.nodes() * options.slots()) + 100), "bench-seed",
          "benchmark funds");
      JobTracker tracker = new JobTracker();
      System.err.printf("starting %d render nodes with %d slots each%n", options.nodes(), options.slots());
      for (int i = 0; i < options.nodes(); i++) {
        String operator = BenchSetup.register(auth, "frames-operator-" + i + "-" + runId).getTokens().getAccessToken();
        nodes.add(SimulatedNode.start("frames-node-" + i, port, operator, options.slots(), tracker, false, "render"));
      }

      JobServiceGrpc.JobServiceBlockingStub jobs = JobServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(creator.getTokens().getAccessToken())));
      int warmupFrames = options.nodes() * options.slots();
      System.err.printf("warm-up: one render job of %d frames%n", warmupFrames);
      String warmup = awaitEnd(db, submit(jobs, warmupFrames), Duration.ofMinutes(5));
      if (!warmup.equals("COMPLETED")) {
        throw new IllegalStateException("the warm-up job ended " + warmup);
      }

      System.err.printf("submitting one render job of %d frames, frames_per_task 1%n", options.frames());
      double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      long submittedAtMicros = JobsBenchmark.databaseNow(db);
      long submitStart = System.nanoTime();
      UUID jobId = submit(jobs, options.frames());
      double submitMs = (System.nanoTime() - submitStart) / 1e6;

      String status = awaitEnd(db, jobId, Duration.ofMinutes(10));
      double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      Record timing = db.fetchOne("""
          SELECT (extract(epoch FROM max(t.dispatched_at)) * 1000000)::bigint AS last_dispatch,
                 (extract(epoch FROM j.completed_at) * 1000000)::bigint AS completed,
                 count(*) AS tasks, sum(t.attempts - 1) AS redispatches, j.frames_done, j.settlement
            FROM jobs j JOIN job_tasks t ON t.job_id = j.id
           WHERE j.id = ? GROUP BY j.id""", jobId);
      double lastDispatchSeconds = (timing.get("last_dispatch", Long.class) - submittedAtMicros) / 1e6;
      Long completedMicros = timing.get("completed", Long.class);
      double completionSeconds = completedMicros == null ? Double.NaN : (completedMicros - submittedAtMicros) / 1e6;
      long tasks = timing.get("tasks", Long.class);
      double tasksPerSecond = tasks / completionSeconds;

      List<String> problems = new ArrayList<>();
      if (!"COMPLETED".equals(status)) {
        problems.add("the job ended " + status);
      }
      if (timing.get("frames_done", Integer.class) != options.frames()) {
        problems.add(timing.get("frames_done", Integer.class) + " of " + options.frames() + " frames delivered");
      }
      if (!"CAPTURED".equals(timing.get("settlement", String.class))) {
        problems.add("the job's hold is " + timing.get("settlement", String.class) + ", not CAPTURED");
      }
      nodes.stream().filter(node -> node.failedUploads() > 0)
          .forEach(node -> problems.add(node.failedUploads() + " frame uploads failed"));
      List<String> violations = new LedgerInvariants(db).violations();

      System.out.println();
      System.out.printf(Locale.ROOT, "frames run: %d frames, frames_per_task 1, %d nodes x %d slots, pool %d; "
              + "%d cores, load average %.1f at the start, %.1f at the end%n", options.frames(), options.nodes(),
          options.slots(), options.pool(), Runtime.getRuntime().availableProcessors(), loadAtStart, loadAtEnd);
      System.out.printf(Locale.ROOT, "  submission (one transaction, %d tasks):   %8.1f ms%n", tasks, submitMs);
      System.out.printf(Locale.ROOT, "  submission -> last task dispatched:       %8.2f s%n", lastDispatchSeconds);
      System.out.printf(Locale.ROOT, "  submission -> job COMPLETED:              %8.2f s%n", completionSeconds);
      System.out.printf(Locale.ROOT, "  tasks/s (dispatch, run, %d frames checked): %8.1f%n", options.frames(),
          tasksPerSecond);
      System.out.printf(Locale.ROOT, "  redispatched tasks:                       %8d%n",
          timing.get("redispatches", Long.class));
      System.out.println(violations.isEmpty() ? "ledger invariants after the run: all hold"
          : "LEDGER INVARIANT VIOLATIONS:\n  " + String.join("\n  ", violations));
      boolean fine = problems.isEmpty() && violations.isEmpty();
      if (!problems.isEmpty()) {
        System.out.println("PROBLEMS:\n  " + String.join("\n  ", problems));
      }
      System.out.printf(Locale.ROOT, "verdict: %s (every frame delivered and charged once: %s; submission %.0f ms "
              + "against a goal of %.0f ms: %s)%n", fine && submitMs <= SUBMIT_GOAL_MS ? "PASS" : "MISS",
          fine ? "yes" : "NO", submitMs, SUBMIT_GOAL_MS, submitMs <= SUBMIT_GOAL_MS ? "met" : "missed");
      return fine ? 0 : 1;
    } finally {
      nodes.forEach(SimulatedNode::close);
      channel.shutdownNow();
    }
  }

  private static UUID submit(JobServiceGrpc.JobServiceBlockingStub jobs, int frames) {
    DispatchJobResponse submitted = jobs.withDeadlineAfter(60, TimeUnit.SECONDS)
        .dispatchJob(DispatchJobRequest.newBuilder().setJobType("render").setPayload(Struct.newBuilder()
            .putFields("frame_start", number(1))
            .putFields("frame_end", number(frames))
            .putFields("frames_per_task", number(1))).build());
    return UUID.fromString(submitted.getJobId());
  }

  /** Polls the job until it ends; returns its status (or the last one seen at the timeout). */
  private static String awaitEnd(DSLContext db, UUID jobId, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String status;
    do {
      status = db.fetchOne("SELECT status FROM jobs WHERE id = ?", jobId).get(0, String.class);
      if (status.equals("COMPLETED") || status.equals("FAILED") || status.equals("CANCELLED")) {
        return status;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    return status;
  }

  private static Value number(int value) {
    return Value.newBuilder().setNumberValue(value).build();
  }
}
