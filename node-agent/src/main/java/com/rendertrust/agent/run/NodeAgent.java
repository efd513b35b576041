package com.rendertrust.agent.run;

import com.rendertrust.agent.health.HealthServer;
import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.jobs.JobExecutor;
import com.rendertrust.agent.link.ConnectionState;
import com.rendertrust.agent.link.CredentialKeeper;
import com.rendertrust.agent.link.ReportOutbox;
import com.rendertrust.agent.link.ServerLink;
import com.rendertrust.agent.plugins.StopReason;
import io.grpc.ManagedChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent ({@code run}): the stream, the executor, credential renewal and the local
 * endpoint, started together and drained together.
 *
 * <p>Shutdown (SIGTERM/SIGINT, or {@link #shutdown} in tests): stop taking jobs (a heartbeat with
 * no free slots goes out at once), drop jobs not yet started, let running jobs finish and report
 * within the drain grace, stop whatever still runs after it (no report: the server requeues those
 * jobs when the stream closes), half-close the stream, exit.
 */
public final class NodeAgent {

  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(10);

  private final NodeIdentity registeredIdentity;
  private final String agentVersion;
  private final JobDesk desk;
  private final JobExecutor executor;
  private final ReportOutbox outbox;
  private final ServerLink link;
  private final CredentialKeeper credentials;
  private final ConnectionState connection;
  private final ScheduledExecutorService timer;
  private final ManagedChannel channel;
  private final Clock clock;
  private final long startedNanos = System.nanoTime();
  private final Instant startedAt;
  private final AtomicBoolean shutdownStarted = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private HealthServer health;
  private RunFile runFile;

  public NodeAgent(NodeIdentity registeredIdentity, String agentVersion, JobDesk desk, JobExecutor executor,
      ReportOutbox outbox, ServerLink link, CredentialKeeper credentials, ConnectionState connection,
      ScheduledExecutorService timer, ManagedChannel channel, Clock clock) {
    this.registeredIdentity = registeredIdentity;
    this.agentVersion = agentVersion;
    this.desk = desk;
    this.executor = executor;
    this.outbox = outbox;
    this.link = link;
    this.credentials = credentials;
    this.connection = connection;
    this.timer = timer;
    this.channel = channel;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  public void start(HealthServer healthServer, RunFile lockedRunFile) {
    this.health = healthServer;
    this.runFile = lockedRunFile;
    credentials.start();
    link.start();
    log.info("agent {} started as node {} ({}); offering {} with {} slot(s); health on port {}", agentVersion,
        registeredIdentity.nodeId(), registeredIdentity.name(), desk.capabilities(), executor.slots(), health.port());
  }

  public int healthPort() {
    return health.port();
  }

  /** Drains and stops; safe to call more than once (later calls wait for the first). */
  public void shutdown(Duration grace) {
    if (!shutdownStarted.compareAndSet(false, true)) {
      awaitStopped();
      return;
    }
    try {
      drain(grace);
    } finally {
      credentials.close();
      link.close();
      executor.close();
      if (health != null) {
        health.close();
      }
      timer.shutdownNow();
      channel.shutdown();
      try {
        if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
      if (runFile != null) {
        runFile.close();
      }
      log.info("agent stopped");
      stopped.countDown();
    }
  }

  private void drain(Duration grace) {
    desk.startDraining();
    link.heartbeatNow();
    executor.dropQueued().forEach(job -> log.info("{}: dropped before it started (shutting down)", job.label()));
    long deadline = System.nanoTime() + grace.toNanos();
    int running = executor.heldCount();
    log.info("draining: {} running job(s) may finish within {} s", running, grace.toSeconds());
    try {
      if (!executor.awaitIdle(grace)) {
        log.warn("drain grace of {} s is over: stopping {} job(s); the server requeues them", grace.toSeconds(),
            executor.heldCount());
        executor.stopAll(StopReason.SHUTDOWN);
        executor.awaitIdle(STOP_WAIT);
      }
      // Results produced while the stream was down still go out if it comes back within the grace.
      if (outbox.neverSentResults() > 0) {
        long flushUntil = Math.max(deadline, System.nanoTime() + Duration.ofSeconds(2).toNanos());
        log.info("waiting up to {} s for the server to take {} undelivered result(s)",
            Duration.ofNanos(flushUntil - System.nanoTime()).toSeconds(), outbox.neverSentResults());
        while (outbox.neverSentResults() > 0 && System.nanoTime() < flushUntil) {
          TimeUnit.MILLISECONDS.sleep(50);
        }
        if (outbox.neverSentResults() > 0) {
          log.warn("{} job result(s) could not be delivered before shutdown; the server requeues those jobs",
              outbox.neverSentResults());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public boolean isStopped() {
    return stopped.getCount() == 0;
  }

  public ConnectionState.Snapshot connection() {
    return connection.snapshot();
  }

  /** {@code GET /health}. */
  public Map<String, Object> health() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", desk.draining() ? "draining" : "healthy");
    body.put("relay_connected", connection.snapshot().connected());
    body.put("uptime_seconds", Math.round((System.nanoTime() - startedNanos) / 1e6) / 1000.0);
    body.put("running_jobs", executor.runningCount());
    return body;
  }

  /** {@code GET /status}: what {@code status} prints. */
  public Map<String, Object> status() {
    NodeIdentity identity = credentials.current();
    ConnectionState.Snapshot link = connection.snapshot();
    Map<String, Object> body = new LinkedHashMap<>(health());
    body.put("node_id", identity.nodeId());
    body.put("name", identity.name());
    body.put("server", identity.server());
    body.put("agent_version", agentVersion);
    body.put("capabilities", desk.capabilities());
    body.put("slots", executor.slots());
    body.put("started_at", startedAt.toString());
    body.put("token_expires_at", identity.tokenExpiresAt().map(Instant::toString).orElse(null));
    Map<String, Object> connectionBody = new LinkedHashMap<>();
    connectionBody.put("state", link.phase().name());
    connectionBody.put("connected_since", link.connectedSince().map(Instant::toString).orElse(null));
    connectionBody.put("last_error", link.lastError().orElse(null));
    connectionBody.put("failed_attempts", link.failedAttempts());
    connectionBody.put("next_attempt_at", link.nextAttemptAt().map(Instant::toString).orElse(null));
    body.put("connection", connectionBody);
    List<Map<String, Object>> jobs = new ArrayList<>();
    for (JobExecutor.JobView job : executor.snapshot()) {
      Map<String, Object> view = new LinkedHashMap<>();
      view.put("job_id", job.jobId());
      view.put("task_id", job.taskId().isEmpty() ? null : job.taskId());
      view.put("assignment_id", job.assignmentId());
      view.put("job_type", job.jobType());
      view.put("state", job.state());
      view.put("started_at", job.startedAt().map(Instant::toString).orElse(null));
      view.put("running_seconds", job.startedAt().map(at -> Duration.between(at, clock.instant()).toSeconds()).orElse(null));
      jobs.add(view);
    }
    body.put("jobs", jobs);
    return body;
  }
}
