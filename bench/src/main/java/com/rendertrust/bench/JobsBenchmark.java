package com.rendertrust.bench;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.jobs.JobLifecycle;
import com.rendertrust.server.jobs.JobService;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.LedgerInvariants;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.PerJobType;
import com.rendertrust.server.platform.config.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * Full job lifecycles through the real control plane, next to pgbench's built-in simple-update
 * script on the same embedded PostgreSQL, in the same run.
 *
 * <p>One JVM holds the server (ControlPlane on its one Armeria port: gRPC h2c over TCP, embedded
 * PostgreSQL and embedded Redis), N simulated nodes (each registered with its own Ed25519 key
 * and proven over the public NodeService, one Connect stream on its own TCP connection) and M
 * creators (users registered over the public AuthService, funded through the credits ledger,
 * each with its own connection and real access token, submitting {@code echo} over the public
 * JobService). {@code echo} is priced (default 0.01 credits) so every lifecycle holds credits at
 * submit and captures them at completion: submit -> DISPATCHED -> RUNNING -> COMPLETED -> CAPTURED.
 *
 * <ol>
 *   <li>Throughput: closed loop, each creator submits a job, waits until a node has sent its
 *       result, submits the next. Lifecycles/s counts jobs COMPLETED whose hold was captured
 *       (USAGE posted) within the measured window, from the database.</li>
 *   <li>Latency: open loop at a fixed rate; submit-to-node is from the moment a submission was
 *       due to the moment the node's stream delivered its JobDispatch (same JVM, same clock);
 *       submit-to-settled is the job's created_at to its capture, from the database.</li>
 *   <li>Baseline: pgbench -b simple-update with as many clients as creators.</li>
 *   <li>Ceilings: PostgreSQL alone running one priced lifecycle's SQL per pgbench transaction
 *       (bench/sql/lifecycle.sql, see {@link LifecycleCeiling}) with as many clients: what the
 *       database can do for this workload with no JVM in the way; then the same for issue 19's
 *       batched design (bench/sql/lifecycle-batched.sql, {@code --batch} lifecycles per statement,
 *       shares aggregated), what a group-committing server could reach.</li>
 * </ol>
 * Then every job must be COMPLETED and captured and the ledger invariants must hold; otherwise
 * the exit status is 1. {@code --ceiling-only} runs just the ceilings (no server, no warm-up) and
 * the same ledger checks. Usage: {@code bench/run-jobs.sh --help}.
 */
public final class JobsBenchmark {

  private static final double LIFECYCLES_GOAL = 1000;
  private static final double P99_GOAL_MS = 25;

  private record Options(int nodes, int slots, int clients, int seconds, int warmup, double rate, int latencySeconds,
      int pool, boolean durable, String price, boolean upload, boolean ceilingOnly, int batch) {

    /** Today's lifecycle SQL, then issue 19's batched design. */
    List<LifecycleCeiling.Design> ceilings() {
      return List.of(LifecycleCeiling.Design.perRow(), LifecycleCeiling.Design.batched(batch));
    }

    static Options parse(String[] args) {
      int nodes = 8;
      int slots = 32;
      int clients = 32;
      int seconds = 20;
      int warmup = 60;
      double rate = 500;
      Integer latencySeconds = null;
      int pool = 32;
      boolean durable = false;
      String price = "0.01";
      boolean upload = false;
      boolean ceilingOnly = false;
      int batch = 16;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--nodes" -> nodes = Integer.parseInt(args[++i]);
          case "--slots" -> slots = Integer.parseInt(args[++i]);
          case "--clients" -> clients = Integer.parseInt(args[++i]);
          case "--seconds" -> seconds = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--rate" -> rate = Double.parseDouble(args[++i]);
          case "--latency-seconds" -> latencySeconds = Integer.parseInt(args[++i]);
          case "--pool" -> pool = Integer.parseInt(args[++i]);
          case "--durable" -> durable = true;
          case "--price" -> price = args[++i];
          case "--upload" -> upload = true;
          case "--ceiling-only" -> ceilingOnly = true;
          case "--batch" -> batch = Integer.parseInt(args[++i]);
          case "--help", "-h" -> {
            System.out.println("""
                bench/run-jobs.sh [--nodes 8] [--slots 32] [--clients 32] [--seconds 20] [--warmup 60]
                                  [--rate 500] [--latency-seconds <seconds>] [--pool 32] [--price 0.01]
                                  [--durable] [--upload] [--ceiling-only] [--batch 16]""");
            System.exit(0);
          }
          default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
        }
      }
      if (JobsConfig.parseCredits(price) <= 0) {
        throw new IllegalArgumentException("--price must be positive: a lifecycle ends with its settlement");
      }
      return new Options(nodes, slots, clients, seconds, warmup, rate, latencySeconds == null ? seconds : latencySeconds,
          pool, durable, price, upload, ceilingOnly, batch);
    }
  }

  /**
   * {@code batched}: the window's COMPLETED results group-committed by the server, and in how many
   * batches; {@code submissions}: the same for submissions.
   */
  private record Throughput(long lifecycles, double seconds, long nodeResults, CpuUse.Window cpu,
      GroupCommit.Written batched, GroupCommit.Written submissions) {
    double perSecond() {
      return lifecycles / seconds;
    }
  }

  /** The open loop's figures; {@code batched} and {@code submissions}: its group commits, as in {@link Throughput}. */
  private record Latency(int submitted, int reachedNode, double p50Ms, double p99Ms, double maxMs,
      double settledP50Ms, double settledP99Ms, LatencyBreakdown parts, GroupCommit.Written batched,
      GroupCommit.Written submissions) {
  }

  private static final StatementProfile STATEMENTS = StatementProfile.fromEnvironment();

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dataDir = Files.createTempDirectory("rendertrust-bench");
    EmbeddedPostgres.Builder postgresBuilder = EmbeddedPostgres.builder()
        .setServerConfig("max_connections", "300")
        .setServerConfig("shared_buffers", "256MB");
    STATEMENTS.configure(postgresBuilder);
    PostgresLog.configure(postgresBuilder, STATEMENTS);
    if (options.durable()) {
      postgresBuilder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    int exit;
    try (EmbeddedPostgres postgres = postgresBuilder.start()) {
      Pgbench pgbench = Pgbench.find(postgres.getPort()).orElseThrow(() -> new IllegalStateException(
          "pgbench not found: install postgresql-client or set RT_BENCH_PGBENCH"));
      if (options.ceilingOnly()) {
        exit = ceilingOnly(options, postgres, pgbench, new CpuUse(postgres.getPort()), loadAtStart);
      } else {
        try (ControlPlane controlPlane = ControlPlane.start(config(options, dataDir, postgres))) {
          exit = run(options, controlPlane, postgres, pgbench, new CpuUse(postgres.getPort()), loadAtStart);
        }
      }
    } finally {
      BenchSetup.deleteQuietly(dataDir);
    }
    System.exit(exit);
  }

  /** Production settings but for the registration rate limit (every node and user comes from 127.0.0.1) and echo's price. */
  private static ServerConfig config(Options options, Path dataDir, EmbeddedPostgres postgres) {
    JobsConfig defaults = JobsConfig.defaults();
    Map<String, Long> prices = new HashMap<>(defaults.prices().byType());
    prices.put("echo", JobsConfig.parseCredits(options.price()));
    JobsConfig jobs = new JobsConfig(new PerJobType<>(prices, defaults.prices().fallback()), defaults.maxRuntimes(),
        defaults.acceptTimeout(), defaults.maxRetries(), defaults.heartbeatInterval(), defaults.heartbeatTimeout(),
        defaults.offlineAfter(), defaults.reconnectGrace(), defaults.unhealthyAfterFailures(),
        defaults.unhealthyCooldown(), defaults.challengeTtl(), defaults.sweepInterval(), defaults.syncInterval());
    return BenchSetup.serverConfig(dataDir, postgres, options.pool(), jobs);
  }

  private static int run(Options options, ControlPlane controlPlane, EmbeddedPostgres postgres, Pgbench pgbench,
      CpuUse cpu, double loadAtStart) throws InterruptedException {
    int port = controlPlane.httpPort();
    DSLContext db = controlPlane.database().dsl();
    JobTracker tracker = new JobTracker();
    System.err.printf("registering %d creators and %d node operators over the public AuthService%n", options.clients(),
        options.nodes());
    List<String> creatorTokens = new ArrayList<>();
    List<String> operatorTokens = new ArrayList<>();
    ManagedChannel setup = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      AuthServiceGrpc.AuthServiceBlockingStub auth = AuthServiceGrpc.newBlockingStub(setup);
      String runId = UUID.randomUUID().toString().substring(0, 8);
      for (int i = 0; i < options.clients(); i++) {
        RegisterResponse creator = BenchSetup.register(auth, "creator-" + i + "-" + runId);
        // Credits enter the ledger as an adjustment (a purchase would need Stripe).
        controlPlane.credits().adjust(UUID.fromString(creator.getUser().getId()), CreditAmount.ofCredits(100_000),
            "bench-seed", "benchmark funds");
        creatorTokens.add(creator.getTokens().getAccessToken());
      }
      // One operator per node, as in a network of independent operators: every capture credits
      // its node's operator, and one operator for all nodes would be a single hot account row.
      for (int i = 0; i < options.nodes(); i++) {
        operatorTokens.add(BenchSetup.register(auth, "operator-" + i + "-" + runId).getTokens().getAccessToken());
      }
    } finally {
      setup.shutdownNow();
    }

    System.err.printf("starting %d nodes with %d slots each%n", options.nodes(), options.slots());
    List<SimulatedNode> nodes = new ArrayList<>();
    JobClients clients = new JobClients(port, creatorTokens, tracker);
    try {
      for (int i = 0; i < options.nodes(); i++) {
        nodes.add(SimulatedNode.start("bench-node-" + i, port, operatorTokens.get(i), options.slots(), tracker,
            options.upload()));
      }
      System.err.printf("initialising pgbench (scale 1)%n");
      pgbench.initialize(1);

      Throughput throughput = measureThroughput(options, clients, tracker, db, cpu,
          controlPlane.jobNetwork().lifecycle(), controlPlane.jobNetwork().jobs());
      awaitSettled(db, Duration.ofSeconds(60));
      Latency latency = measureLatency(options, clients, tracker, db, controlPlane.jobNetwork().lifecycle(),
          controlPlane.jobNetwork().jobs());
      awaitSettled(db, Duration.ofSeconds(60));

      System.err.printf("pgbench simple-update, %d clients, %d s%n", options.clients(), options.seconds());
      double pgbenchTps = pgbench.simpleUpdate(options.clients(), options.seconds());
      List<CeilingRuns.CeilingRun> ceilings = CeilingRuns.run(options.ceilings(), postgres, pgbench, cpu,
          options.price(), options.clients(), options.seconds());

      List<String> problems = new ArrayList<>(lostJobs(db, clients));
      ceilings.forEach(ceiling -> problems.addAll(ceiling.problems()));
      if (latency.reachedNode() < latency.submitted()) {
        problems.add((latency.submitted() - latency.reachedNode()) + " open-loop jobs never reached a node");
      }
      // Overload symptoms: reported, but not lost work (every stored job is checked above).
      List<String> warnings = new ArrayList<>();
      long stored = count(db, "SELECT count(*) FROM jobs");
      if (clients.rejected() > 0) {
        warnings.add(clients.rejected() + " submissions answered with an error; " + stored + " jobs stored for "
            + clients.accepted() + " submissions answered with a job id (an error does not prove that no job was created)");
      }
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).ended().isDone()) {
          warnings.add("the stream of node " + i + " ended during the run: " + nodes.get(i).ended().getNow(null));
        }
        if (nodes.get(i).failedUploads() > 0) {
          problems.add("node " + i + ": " + nodes.get(i).failedUploads() + " result uploads failed");
        }
      }
      List<String> violations = new ArrayList<>(new LedgerInvariants(db).violations());
      ceilings.forEach(ceiling -> violations.addAll(ceiling.violations()));
      double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      print(options, pgbench, throughput, latency, pgbenchTps, ceilings, tracker, nodes, clients, loadAtStart, loadAtEnd);
      int exit = report(violations, problems);
      if (!warnings.isEmpty()) {
        System.out.println("OVERLOAD:\n  " + String.join("\n  ", warnings));
      }
      long lost = clients.lost() + (latency.submitted() - latency.reachedNode()) + count(db, """
          SELECT count(*) FROM jobs j LEFT JOIN credit_holds h ON h.job_id = j.id
           WHERE NOT (j.status = 'COMPLETED' AND j.settlement = 'CAPTURED' AND h.status = 'CAPTURED')""");
      System.out.printf(Locale.ROOT, "lifecycles_per_s=%.0f pgbench_simple_update_tps=%.0f ratio=%.3f "
              + "submit_to_node_p99_ms=%.1f at_rate=%.0f lost=%d invariants=%s%n", throughput.perSecond(), pgbenchTps,
          throughput.perSecond() / pgbenchTps, latency.p99Ms(), options.rate(), lost, violations.isEmpty() ? "ok" : "broken");
      return exit;
    } finally {
      clients.close();
      nodes.forEach(SimulatedNode::close);
    }
  }

  /** Only the ceilings (no server, no warm-up), with the same ledger and job checks as the full run. */
  private static int ceilingOnly(Options options, EmbeddedPostgres postgres, Pgbench pgbench, CpuUse cpu,
      double loadAtStart) throws InterruptedException {
    List<CeilingRuns.CeilingRun> ceilings = CeilingRuns.run(options.ceilings(), postgres, pgbench, cpu,
        options.price(), options.clients(), options.seconds());
    double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    printMachine(options, pgbench, loadAtStart, loadAtEnd);
    System.out.printf(Locale.ROOT, "ceiling only: %d pgbench clients, %d s, echo at %s credits%n", options.clients(),
        options.seconds(), options.price());
    System.out.println();
    System.out.println("| figure | measured | goal | |");
    System.out.println("|---|---:|---:|---|");
    ceilings.forEach(ceiling -> CeilingRuns.printRow(ceiling.result(), LIFECYCLES_GOAL));
    System.out.println();
    ceilings.forEach(ceiling -> CeilingRuns.printCpu(ceiling.result()));
    List<String> violations = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    ceilings.forEach(ceiling -> {
      violations.addAll(ceiling.violations());
      problems.addAll(ceiling.problems());
    });
    return report(violations, problems);
  }

  private static int report(List<String> violations, List<String> problems) {
    System.out.println();
    System.out.println(violations.isEmpty()
        ? "ledger invariants after the run: all hold"
        : "LEDGER INVARIANT VIOLATIONS:\n  " + String.join("\n  ", violations));
    System.out.println(problems.isEmpty()
        ? "every stored job reached COMPLETED and its hold was captured"
        : "LOST OR BROKEN JOBS:\n  " + String.join("\n  ", problems));
    return violations.isEmpty() && problems.isEmpty() ? 0 : 1;
  }

  private static Throughput measureThroughput(Options options, JobClients clients, JobTracker tracker, DSLContext db,
      CpuUse cpu, JobLifecycle lifecycle, JobService jobs)
      throws InterruptedException {
    System.err.printf("closed loop: %d creators, %d s warm-up, %d s measured%n", options.clients(), options.warmup(),
        options.seconds());
    JobClients.ClosedLoop loop = clients.startClosedLoop();
    Thread.sleep(TimeUnit.SECONDS.toMillis(options.warmup()));
    STATEMENTS.reset(db);
    long windowStart = databaseNow(db);
    long nodeResultsAtStart = tracker.completedByNodes();
    CpuUse.Reading cpuAtStart = cpu.read();
    GroupCommit.Written batchedAtStart = lifecycle.batchedCompletions();
    GroupCommit.Written submissionsAtStart = jobs.batchedSubmissions();
    Thread.sleep(TimeUnit.SECONDS.toMillis(options.seconds()));
    long windowEnd = databaseNow(db);
    GroupCommit.Written batchedAtEnd = lifecycle.batchedCompletions();
    GroupCommit.Written submissionsAtEnd = jobs.batchedSubmissions();
    CpuUse.Window cpuUse = CpuUse.between(cpuAtStart, cpu.read());
    long nodeResults = tracker.completedByNodes() - nodeResultsAtStart;
    loop.stop();
    // Jobs finished inside the window may still be settling: count once everything settled.
    awaitSettled(db, Duration.ofSeconds(60));
    long lifecycles = count(db, """
        SELECT count(*) FROM credit_holds h JOIN jobs j ON j.id = h.job_id
         WHERE h.status = 'CAPTURED' AND j.status = 'COMPLETED' AND h.usage_entry_id IS NOT NULL
           AND h.resolved_at >= to_timestamp(? / 1e6) AND h.resolved_at < to_timestamp(? / 1e6)""", windowStart, windowEnd);
    STATEMENTS.print(db);
    double seconds = (windowEnd - windowStart) / 1e6;
    return new Throughput(lifecycles, seconds, nodeResults, cpuUse, batchedAtEnd.since(batchedAtStart),
        submissionsAtEnd.since(submissionsAtStart));
  }

  private static Latency measureLatency(Options options, JobClients clients, JobTracker tracker, DSLContext db,
      JobLifecycle lifecycle, JobService jobs) throws InterruptedException {
    // the wall clock lets the slowest submissions' times into the loop be found in PostgreSQL's log
    System.err.printf(Locale.ROOT, "open loop: %.0f submissions/s for %d s, from %s%n", options.rate(),
        options.latencySeconds(), java.time.Instant.now());
    long start = databaseNow(db);
    GroupCommit.Written batchedAtStart = lifecycle.batchedCompletions();
    GroupCommit.Written submissionsAtStart = jobs.batchedSubmissions();
    List<JobClients.Sent> sent = clients.openLoop(options.rate(), options.latencySeconds());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<Long> toNode = new ArrayList<>();
    LatencyBreakdown parts = new LatencyBreakdown();
    for (JobClients.Sent job : sent) {
      Long at = tracker.dispatchedAt(job.jobId());
      while (at == null && System.nanoTime() < deadline) {
        Thread.sleep(5);
        at = tracker.dispatchedAt(job.jobId());
      }
      if (at != null) {
        toNode.add(at - job.dueNanos());
        parts.add(job, at);
      }
      tracker.forget(job.jobId());
    }
    awaitSettled(db, Duration.ofSeconds(60));
    GroupCommit.Written batched = lifecycle.batchedCompletions().since(batchedAtStart);
    GroupCommit.Written submissions = jobs.batchedSubmissions().since(submissionsAtStart);
    Record settled = db.fetchOne("""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)
          FROM (SELECT extract(epoch FROM h.resolved_at - j.created_at) * 1000 AS ms
                  FROM jobs j JOIN credit_holds h ON h.job_id = j.id
                 WHERE j.created_at >= to_timestamp(? / 1e6) AND h.status = 'CAPTURED') x""", start);
    long[] nanos = toNode.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Latency(sent.size(), nanos.length, percentileMs(nanos, 0.50), percentileMs(nanos, 0.99),
        nanos.length == 0 ? Double.NaN : nanos[nanos.length - 1] / 1e6,
        number(settled.get(0)), number(settled.get(1)), parts, batched, submissions);
  }

  /** Waits until no job is still moving: every one COMPLETED (or otherwise ended) and settled. */
  private static void awaitSettled(DSLContext db, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long moving = count(db, """
          SELECT count(*) FROM jobs
           WHERE status IN ('QUEUED', 'DISPATCHED', 'RUNNING')
              OR settlement IN ('HOLD_PENDING', 'HELD', 'CAPTURE_PENDING', 'RELEASE_PENDING')""");
      if (moving == 0) {
        return;
      }
      Thread.sleep(50);
    }
  }

  /** Every stored job must be COMPLETED with a captured hold, and every closed-loop job finished by a node. */
  private static List<String> lostJobs(DSLContext db, JobClients clients) {
    List<String> problems = new ArrayList<>();
    if (clients.lost() > 0) {
      problems.add(clients.lost() + " closed-loop jobs not finished by a node within 30 s");
    }
    db.fetch("""
        SELECT j.status, j.settlement, coalesce(h.status, 'no hold') AS hold, count(*)
          FROM jobs j LEFT JOIN credit_holds h ON h.job_id = j.id
         WHERE NOT (j.status = 'COMPLETED' AND j.settlement = 'CAPTURED' AND h.status = 'CAPTURED')
         GROUP BY 1, 2, 3""")
        .forEach(row -> problems.add(row.get(3) + " jobs ended " + row.get(0) + " / settlement " + row.get(1)
            + " / hold " + row.get(2)));
    return problems;
  }

  private static void printMachine(Options options, Pgbench pgbench, double loadAtStart, double loadAtEnd) {
    System.out.printf(Locale.ROOT, "Job lifecycles through the control plane vs pgbench (simple-update, and one "
        + "lifecycle's SQL) on the same embedded PostgreSQL 17 (%s)%n", options.durable()
        ? "fsync and synchronous_commit on" : "fsync off, as in tests and zonky's default");
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, %s; load average %.2f at start, %.2f at end%n",
        Runtime.getRuntime().availableProcessors(), Runtime.version(), pgbench.version(), loadAtStart, loadAtEnd);
  }

  private static void print(Options options, Pgbench pgbench, Throughput throughput, Latency latency,
      double pgbenchTps, List<CeilingRuns.CeilingRun> ceilings, JobTracker tracker, List<SimulatedNode> nodes,
      JobClients clients, double loadAtStart, double loadAtEnd) {
    printMachine(options, pgbench, loadAtStart, loadAtEnd);
    System.out.printf(Locale.ROOT, "%d nodes x %d slots, %d creators, echo at %s credits, server DB pool %d, "
            + "%d s measured after %d s warm-up, open loop %.0f/s for %d s%s%n",
        options.nodes(), options.slots(), options.clients(), options.price(), options.pool(), options.seconds(),
        options.warmup(), options.rate(), options.latencySeconds(), options.upload() ? ", nodes upload results" : "");
    System.out.println();
    System.out.println("| figure | measured | goal | |");
    System.out.println("|---|---:|---:|---|");
    System.out.printf(Locale.ROOT, "| full lifecycles/s (closed loop, %d creators) | %.0f | >= %.0f | %s |%n",
        options.clients(), throughput.perSecond(), LIFECYCLES_GOAL, verdict(throughput.perSecond() >= LIFECYCLES_GOAL));
    System.out.printf(Locale.ROOT, "| submit-to-node p50 at %.0f/s | %.1f ms | | |%n", options.rate(), latency.p50Ms());
    System.out.printf(Locale.ROOT, "| submit-to-node p99 at %.0f/s | %.1f ms | < %.0f ms | %s |%n", options.rate(),
        latency.p99Ms(), P99_GOAL_MS, verdict(latency.p99Ms() < P99_GOAL_MS));
    System.out.printf(Locale.ROOT, "| submit-to-node max at %.0f/s | %.1f ms | | |%n", options.rate(), latency.maxMs());
    System.out.printf(Locale.ROOT, "| submit-to-settled p50 / p99 at %.0f/s | %.1f / %.1f ms | | |%n", options.rate(),
        latency.settledP50Ms(), latency.settledP99Ms());
    System.out.printf(Locale.ROOT, "| pgbench simple-update tps (%d clients), baseline | %.0f | | |%n",
        options.clients(), pgbenchTps);
    System.out.printf(Locale.ROOT, "| lifecycles/s / pgbench tps | %.2f | | |%n", throughput.perSecond() / pgbenchTps);
    for (CeilingRuns.CeilingRun ceiling : ceilings) {
      CeilingRuns.printRow(ceiling.result(), LIFECYCLES_GOAL);
      System.out.printf(Locale.ROOT, "| lifecycles/s through the control plane / that ceiling | %.2f | | |%n",
          throughput.perSecond() / ceiling.result().lifecyclesPerSecond());
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "throughput window %.1f s: %d lifecycles settled, %d results sent by nodes; "
            + "open loop: %d submitted, %d reached a node; %d submissions in all, %d redispatches, %d cancels%n",
        throughput.seconds(), throughput.lifecycles(), throughput.nodeResults(), latency.submitted(),
        latency.reachedNode(), clients.accepted(), tracker.redispatches(),
        nodes.stream().mapToLong(SimulatedNode::cancels).sum());
    printBatches("in the window", "COMPLETED results", throughput.batched());
    printBatches("in the window", "submissions", throughput.submissions());
    printBatches("in the open loop", "COMPLETED results", latency.batched());
    printBatches("in the open loop", "submissions", latency.submissions());
    CpuUse.Window cpu = throughput.cpu();
    System.out.printf(Locale.ROOT, "CPU in the throughput window (cores): benchmark JVM (server, nodes, creators) %.2f "
            + "(of which JIT compilation %.2f), PostgreSQL %.2f, other processes %.2f, idle %.2f; per lifecycle: JVM %.1f ms, "
            + "PostgreSQL %.1f ms%n", cpu.jvmCores(), cpu.jitCores(), cpu.postgresCores(), cpu.otherCores(), cpu.idleCores(),
        cpu.jvmCores() * 1000 / Math.max(throughput.perSecond(), 1e-9),
        cpu.postgresCores() * 1000 / Math.max(throughput.perSecond(), 1e-9));
    ceilings.forEach(ceiling -> CeilingRuns.printCpu(ceiling.result()));
    latency.parts().print();
  }

  private static String verdict(boolean met) {
    return met ? "PASS" : "MISS";
  }

  private static void printBatches(String when, String what, GroupCommit.Written written) {
    System.out.printf(Locale.ROOT, "group commit %s: %d %s in %d batches (%.1f per batch, %.2f ms writing each)%n",
        when, written.items(), what, written.batches(), written.items() / (double) Math.max(1, written.batches()),
        written.millisPerBatch());
  }

  private static double percentileMs(long[] sortedNanos, double quantile) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(quantile * sortedNanos.length) - 1;
    return sortedNanos[Math.max(0, index)] / 1e6;
  }

  private static double number(Object value) {
    return value == null ? Double.NaN : ((Number) value).doubleValue();
  }

  /** The database's clock in microseconds since the epoch: the time base of the capture timestamps. */
  static long databaseNow(DSLContext db) {
    return db.fetchOne("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").get(0, Long.class);
  }

  private static long count(DSLContext db, String sql, Object... bindings) {
    return db.fetchOne(sql, bindings).get(0, Long.class);
  }

}
