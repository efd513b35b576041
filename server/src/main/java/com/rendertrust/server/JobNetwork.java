package com.rendertrust.server;

import com.rendertrust.server.jobs.CoalescingTask;
import com.rendertrust.server.jobs.JobArchiveRoute;
import com.rendertrust.server.jobs.JobDetails;
import com.rendertrust.server.jobs.JobEventStreams;
import com.rendertrust.server.jobs.JobEvents;
import com.rendertrust.server.jobs.JobBilling;
import com.rendertrust.server.jobs.JobEstimates;
import com.rendertrust.server.jobs.JobGrpcService;
import com.rendertrust.server.jobs.JobPricingGrpcService;
import com.rendertrust.server.jobs.JobRetries;
import com.rendertrust.server.jobs.JobInputs;
import com.rendertrust.server.jobs.JobLifecycle;
import com.rendertrust.server.jobs.JobScheduler;
import com.rendertrust.server.jobs.JobService;
import com.rendertrust.server.jobs.Settlements;
import com.rendertrust.server.jobs.Sweeper;
import com.rendertrust.server.jobs.TaskOutputs;
import com.rendertrust.server.nodes.NodeAdministration;
import com.rendertrust.server.nodes.NodeDirectory;
import com.rendertrust.server.nodes.NodeGrpcService;
import com.rendertrust.server.nodes.NodeService;
import com.rendertrust.server.nodes.NodeSessions;
import com.rendertrust.server.nodes.NodeTokens;
import com.rendertrust.server.nodes.StreamContext;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.redis.RedisConnector;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.SignedRoutes;
import io.grpc.BindableService;
import com.rendertrust.server.platform.telemetry.Telemetry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs-and-nodes features of one replica, wired by the composition root (neither feature
 * assembles the other): scheduler, node-side lifecycle, settlements,
 * the streams this replica holds, the sweeper on a timer (from {@link #startSweeping}), and the two
 * gRPC services.
 */
public final class JobNetwork implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JobNetwork.class);
  /** How long a progress report no transition took waits before it is written. */
  private static final Duration PROGRESS_FLUSH_INTERVAL = Duration.ofMillis(200);

  private final ExecutorService workers;
  private final ScheduledExecutorService timers;
  private final NodeSessions sessions;
  private final JobService jobs;
  private final NodeService nodes;
  private final JobScheduler scheduler;
  private final JobLifecycle lifecycle;
  private final Sweeper sweeper;
  private final List<BindableService> services;
  private final Duration sweepInterval;
  private final JobArchiveRoute archiveRoute;

  private JobNetwork(ExecutorService workers, ScheduledExecutorService timers, NodeSessions sessions, JobService jobs,
      NodeService nodes, JobScheduler scheduler, JobLifecycle lifecycle, Sweeper sweeper, List<BindableService> services,
      Duration sweepInterval, JobArchiveRoute archiveRoute) {
    this.workers = workers;
    this.timers = timers;
    this.sessions = sessions;
    this.jobs = jobs;
    this.nodes = nodes;
    this.scheduler = scheduler;
    this.lifecycle = lifecycle;
    this.sweeper = sweeper;
    this.services = services;
    this.sweepInterval = sweepInterval;
    this.archiveRoute = archiveRoute;
  }

  public static JobNetwork start(Database database, RedisConnector redis, JobsConfig config, StorageConfig storage,
      ResultStore results, SignedRoutes archives, JobBilling billing, NodeTokens tokens,
      Consumer<String> admitRegistration, Clock clock) {
    return start(database, redis, config, storage, results, archives, billing, tokens, admitRegistration, clock,
        JobInputs.NONE);
  }

  /** As above, with jobs' inputs (uploads, s3:// references) resolved by {@code inputs}. */
  public static JobNetwork start(Database database, RedisConnector redis, JobsConfig config, StorageConfig storage,
      ResultStore results, SignedRoutes archives, JobBilling billing, NodeTokens tokens,
      Consumer<String> admitRegistration, Clock clock, JobInputs inputs) {
    return start(database, redis, config, storage, results, archives, billing, tokens, admitRegistration, clock,
        inputs, JobEvents.NONE, JobEventStreams.NONE, Telemetry.none());
  }

  /**
   * As above, recording every change of a job with {@code events}, serving JobService's events
   * RPCs with {@code eventStreams} (both from the events feature), and recording dispatch and
   * settlement latencies, queue, task and node gauges in {@code telemetry}.
   */
  public static JobNetwork start(Database database, RedisConnector redis, JobsConfig config, StorageConfig storage,
      ResultStore results, SignedRoutes archives, JobBilling billing, NodeTokens tokens,
      Consumer<String> admitRegistration, Clock clock, JobInputs inputs, JobEvents events,
      JobEventStreams eventStreams, Telemetry telemetry) {
    ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rt-jobs-", 0).factory());
    ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon()
        .name("rt-jobs-timer").factory());
    timers.setRemoveOnCancelPolicy(true);
    NodeSessions sessions = new NodeSessions(redis, UUID.randomUUID(),
        config.heartbeatTimeout().plus(config.heartbeatInterval()), workers);
    JobScheduler scheduler = new JobScheduler(database, config, clock, sessions, workers, events,
        Timer.builder("rt.jobs.dispatch.latency").description("How long tasks waited in the queue before dispatch")
            .publishPercentileHistogram().register(telemetry.meters()));
    Settlements settlements = new Settlements(database, billing,
        Timer.builder("rt.jobs.settlement.duration").description("Capture or release of a job's hold, ledger included")
            .publishPercentileHistogram().register(telemetry.meters()), telemetry.tracer());
    JobLifecycle lifecycle = new JobLifecycle(database, config, clock, scheduler, settlements, billing, sessions,
        events);
    JobService jobs = new JobService(database, config, clock, billing, scheduler, settlements, sessions, results, storage,
        archives, inputs, events);
    TaskOutputs outputs = new TaskOutputs(database, results, clock);
    NodeService nodes = new NodeService(database, config, clock, tokens);
    Sweeper sweeper = new Sweeper(database, config, clock, lifecycle, scheduler, settlements, jobs);
    StreamContext streams = new StreamContext(nodes, lifecycle, outputs, scheduler, results, sessions, config, clock,
        timers, workers, inputs, telemetry.tracer(),
        Timer.builder("rt.nodes.heartbeat.duration")
            .description("Heartbeat frames of node streams, from arrival until recorded in the database")
            .publishPercentileHistogram().register(telemetry.meters()));
    List<BindableService> services = List.of(
        new JobGrpcService(jobs, new JobDetails(database, outputs, results, storage), eventStreams).withHeaderSupport(),
        new NodeGrpcService(nodes, streams, admitRegistration),
        new JobPricingGrpcService(new JobEstimates(database, config, clock, billing, scheduler, inputs),
            new JobRetries(database, clock, billing, scheduler, settlements)));
    // Every stream re-reads its jobs now and then in case a wake-up was lost (Redis down): one
    // query for all of them, then only the streams that are behind re-read theirs.
    CoalescingTask resync = new CoalescingTask("periodic check of the streams' jobs", workers,
        () -> sessions.resyncBehind(lifecycle::heldAssignments));
    long period = config.syncInterval().toMillis();
    timers.scheduleWithFixedDelay(resync::request, period, period, TimeUnit.MILLISECONDS);
    // Nodes' progress reports wait in memory for their task's next transition; those still
    // waiting are written together this often (one transaction for all of them).
    CoalescingTask progressFlush = new CoalescingTask("progress flush", workers, lifecycle::flushProgress);
    long flushPeriod = PROGRESS_FLUSH_INTERVAL.toMillis();
    timers.scheduleWithFixedDelay(progressFlush::request, flushPeriod, flushPeriod, TimeUnit.MILLISECONDS);
    return new JobNetwork(workers, timers, sessions, jobs, nodes, scheduler, lifecycle, sweeper, services,
        config.sweepInterval(), new JobArchiveRoute(outputs, results, archives, workers));
  }

  /**
   * Starts the sweeper, once this replica serves node streams (from {@code servingSince}): before
   * that no node could have reconnected here, so nothing may be judged lost yet.
   */
  public void startSweeping(Instant servingSince) {
    sweeper.countAbsencesFrom(servingSince);
    CoalescingTask sweep = new CoalescingTask("sweep", workers, sweeper::sweepIfLeader);
    long period = sweepInterval.toMillis();
    timers.scheduleWithFixedDelay(sweep::request, period, period, TimeUnit.MILLISECONDS);
  }

  /** The plain HTTP route serving jobs' ZIPs of outputs under {@link JobArchiveRoute#PREFIX}. */
  public JobArchiveRoute archiveRoute() {
    return archiveRoute;
  }

  public List<BindableService> services() {
    return services;
  }

  /**
   * Shutdown, step one: every stream here gets Drain and stops receiving jobs; streams end as
   * their nodes finish (or at the end of {@code grace}), and the nodes reconnect to another
   * replica, resuming what they still run.
   */
  public void drain(Duration grace) {
    sessions.drainAll(grace);
  }

  public JobService jobs() {
    return jobs;
  }

  public NodeService nodes() {
    return nodes;
  }

  /** Administrators' drain, disable and enable of nodes, through {@link #nodes()}. */
  public NodeAdministration administration(NodeDirectory directory) {
    return new NodeAdministration(nodes, directory, sessions);
  }

  public JobScheduler scheduler() {
    return scheduler;
  }

  public JobLifecycle lifecycle() {
    return lifecycle;
  }

  public Sweeper sweeper() {
    return sweeper;
  }

  public NodeSessions sessions() {
    return sessions;
  }

  @Override
  public void close() {
    timers.shutdownNow();
    sessions.endAll();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      lifecycle.flushProgress(); // what the streams reported last
    } catch (RuntimeException e) {
      log.warn("writing the last progress reports at shutdown failed; they are lost (progress is advisory)", e);
    }
    sessions.close();
  }
}
