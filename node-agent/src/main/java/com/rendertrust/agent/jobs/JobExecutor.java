package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobPlugin;
import com.rendertrust.agent.plugins.JobStoppedException;
import com.rendertrust.agent.plugins.PluginFailure;
import com.rendertrust.agent.plugins.PluginOutput;
import com.rendertrust.agent.plugins.PluginRegistry;
import com.rendertrust.agent.plugins.StopReason;
import com.rendertrust.agent.plugins.StopSignal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs dispatched jobs, at most {@code slots} at a time; a dispatch beyond that waits here (not
 * yet accepted) until a slot frees. Each job: JobAccepted, input, plugin under a time limit in its
 * own work dir, upload, then COMPLETED or FAILED. Whatever a plugin does, the job ends with exactly
 * one outcome and the executor keeps going.
 */
public final class JobExecutor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JobExecutor.class);

  /** A job the node holds (queued or running), as Hello lists it. */
  public record HeldJob(String jobId, String assignmentId) {}

  /** A job as {@code status} and the local status endpoint show it. */
  public record JobView(String jobId, String jobType, String state, Optional<Instant> startedAt) {}

  private enum State { QUEUED, RUNNING, DROPPED }

  private static final class ActiveJob {
    final JobSpec spec;
    final StopSignal stop = new StopSignal();
    State state = State.QUEUED;
    Instant startedAt;
    Future<?> future;

    ActiveJob(JobSpec spec) {
      this.spec = spec;
    }
  }

  private final int slots;
  private final PluginRegistry plugins;
  private final JobReports reports;
  private final InputFetcher inputs;
  private final ResultUploader uploader;
  private final WorkDirs workDirs;
  private final Duration jobTimeoutCap;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final ThreadPoolExecutor workers;
  private final Map<String, ActiveJob> jobs = new ConcurrentHashMap<>();

  public JobExecutor(int slots, PluginRegistry plugins, JobReports reports, InputFetcher inputs, ResultUploader uploader,
      WorkDirs workDirs, Duration jobTimeoutCap, ScheduledExecutorService timer, Clock clock) {
    this.slots = slots;
    this.plugins = plugins;
    this.reports = reports;
    this.inputs = inputs;
    this.uploader = uploader;
    this.workDirs = workDirs;
    this.jobTimeoutCap = jobTimeoutCap;
    this.timer = timer;
    this.clock = clock;
    AtomicInteger threadNumber = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(slots, slots, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), task -> {
      Thread thread = new Thread(task, "job-slot-" + threadNumber.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  public int slots() {
    return slots;
  }

  /**
   * Takes a dispatched job. A second dispatch of the same assignment is ignored (false); a new
   * assignment of a job already held here replaces the old attempt, whose reports would be stale.
   */
  public synchronized boolean submit(JobSpec spec) {
    ActiveJob existing = jobs.get(spec.jobId());
    if (existing != null) {
      if (existing.spec.assignmentId().equals(spec.assignmentId())) {
        log.debug("job {}: duplicate dispatch of assignment {} ignored", spec.jobId(), spec.assignmentId());
        return false;
      }
      log.info("job {}: new assignment {} replaces {}", spec.jobId(), spec.assignmentId(), existing.spec.assignmentId());
      stop(existing, StopReason.CANCELLED);
    }
    ActiveJob job = new ActiveJob(spec);
    jobs.put(spec.jobId(), job);
    job.future = workers.submit(() -> run(job));
    return true;
  }

  /** Stops the job (kills its plugin process) if this node holds that assignment; no report follows. */
  public synchronized boolean cancel(String jobId, String assignmentId) {
    ActiveJob job = jobs.get(jobId);
    if (job == null || (!assignmentId.isEmpty() && !job.spec.assignmentId().equals(assignmentId))) {
      return false;
    }
    stop(job, StopReason.CANCELLED);
    return true;
  }

  /** Drops every job that has not started yet (draining): they were never accepted, so the server requeues them. */
  public synchronized List<JobSpec> dropQueued() {
    List<JobSpec> dropped = new ArrayList<>();
    for (ActiveJob job : List.copyOf(jobs.values())) {
      if (job.state == State.QUEUED) {
        job.state = State.DROPPED;
        job.future.cancel(false);
        jobs.remove(job.spec.jobId(), job);
        dropped.add(job.spec);
      }
    }
    notifyAll();
    return dropped;
  }

  /** Stops every job (grace ran out at shutdown); they end without a report. */
  public synchronized void stopAll(StopReason reason) {
    List.copyOf(jobs.values()).forEach(job -> stop(job, reason));
  }

  /** Waits until no job is held; true if that happened within the timeout. */
  public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!jobs.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  public List<HeldJob> held() {
    return jobs.values().stream().map(job -> new HeldJob(job.spec.jobId(), job.spec.assignmentId())).toList();
  }

  public synchronized int runningCount() {
    return (int) jobs.values().stream().filter(job -> job.state == State.RUNNING).count();
  }

  public synchronized int heldCount() {
    return jobs.size();
  }

  public synchronized List<JobView> snapshot() {
    return jobs.values().stream()
        .map(job -> new JobView(job.spec.jobId(), job.spec.jobType(), job.state.name(), Optional.ofNullable(job.startedAt)))
        .sorted(Comparator.comparing(JobView::jobId))
        .toList();
  }

  private void stop(ActiveJob job, StopReason reason) {
    if (job.state == State.QUEUED) {
      job.state = State.DROPPED;
      job.future.cancel(false);
      jobs.remove(job.spec.jobId(), job);
      reports.forget(job.spec);
      notifyAll();
      return;
    }
    job.stop.request(reason);
  }

  private synchronized boolean begin(ActiveJob job) {
    if (job.state != State.QUEUED) {
      return false;
    }
    job.state = State.RUNNING;
    job.startedAt = clock.instant();
    return true;
  }

  private synchronized void finish(ActiveJob job) {
    jobs.remove(job.spec.jobId(), job);
    notifyAll();
  }

  private void run(ActiveJob job) {
    if (!begin(job)) {
      return;
    }
    JobSpec spec = job.spec;
    long startedNanos = System.nanoTime();
    Duration limit = timeLimit(spec);
    if (limit.isNegative() || limit.isZero()) {
      log.warn("job {}: its deadline passed before it could start", spec.jobId());
      reports.accepted(spec);
      reports.failed(spec, "the job's deadline had passed before it could start", Duration.ZERO);
      finish(job);
      return;
    }
    job.stop.bind(Thread.currentThread());
    ScheduledFuture<?> watchdog = timer.schedule(() -> job.stop.request(StopReason.TIME_LIMIT),
        limit.toMillis(), TimeUnit.MILLISECONDS);
    Path workDir = null;
    log.info("job {} ({}): started, assignment {}, time limit {} s", spec.jobId(), spec.jobType(), spec.assignmentId(),
        limit.toSeconds());
    try {
      reports.accepted(spec);
      JobPlugin plugin = plugins.find(spec.jobType()).orElseThrow(() -> new PluginFailure(
          "this node does not offer job type '" + spec.jobType() + "'"));
      workDir = workDirs.create(spec);
      Files.writeString(workDir.resolve("input.json"), spec.payloadJson(), StandardCharsets.UTF_8);
      Optional<Path> input = inputs.fetch(spec, workDir, limit);
      JobContext context = new JobContext(spec, workDir, input, limit, job.stop,
          (percent, message) -> reports.progress(spec, percent, message));
      context.checkStillWanted();
      PluginOutput output = plugin.run(context);
      context.checkStillWanted();
      String resultRef = uploader.upload(output.file(), context);
      context.checkStillWanted();
      Duration runtime = elapsed(startedNanos);
      log.info("job {}: completed in {} ms", spec.jobId(), runtime.toMillis());
      reports.completed(spec, resultRef, runtime);
    } catch (JobStoppedException e) {
      stopped(spec, e.reason(), limit, startedNanos);
    } catch (InterruptedException e) {
      stopped(spec, job.stop.reason().orElse(StopReason.SHUTDOWN), limit, startedNanos);
    } catch (PluginFailure e) {
      if (job.stop.reason().isPresent()) {
        stopped(spec, job.stop.reason().get(), limit, startedNanos);
      } else {
        log.warn("job {}: failed: {}", spec.jobId(), e.getMessage());
        reports.failed(spec, e.getMessage(), e.errorCode(), elapsed(startedNanos));
      }
    } catch (Exception | LinkageError | StackOverflowError | OutOfMemoryError e) {
      if (job.stop.reason().isPresent()) {
        stopped(spec, job.stop.reason().get(), limit, startedNanos);
      } else {
        log.error("job {}: plugin '{}' crashed", spec.jobId(), spec.jobType(), e);
        reports.failed(spec, "plugin '" + spec.jobType() + "' crashed: " + describe(e), elapsed(startedNanos));
      }
    } finally {
      watchdog.cancel(false);
      job.stop.unbind();
      Thread.interrupted();
      workDirs.release(workDir);
      finish(job);
    }
  }

  private void stopped(JobSpec spec, StopReason reason, Duration limit, long startedNanos) {
    switch (reason) {
      case TIME_LIMIT -> {
        String message = "the job exceeded its time limit of " + describe(limit) + " and was stopped";
        log.warn("job {}: {}", spec.jobId(), message);
        reports.failed(spec, message, elapsed(startedNanos));
      }
      case CANCELLED -> {
        log.info("job {}: cancelled", spec.jobId());
        reports.forget(spec);
      }
      case SHUTDOWN -> {
        log.info("job {}: stopped by shutdown; the server will requeue it", spec.jobId());
        reports.forget(spec);
      }
    }
  }

  /** The shortest of: the server's max run time for the type, the operator's cap, the time left to the deadline. */
  private Duration timeLimit(JobSpec spec) {
    Duration limit = jobTimeoutCap;
    if (spec.maxRuntime().compareTo(Duration.ZERO) > 0 && spec.maxRuntime().compareTo(limit) < 0) {
      limit = spec.maxRuntime();
    }
    if (spec.deadline().isPresent()) {
      Duration untilDeadline = Duration.between(clock.instant(), spec.deadline().get());
      if (untilDeadline.compareTo(limit) < 0) {
        limit = untilDeadline;
      }
    }
    return limit;
  }

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  private static String describe(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? (millis / 1000) + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  @Override
  public void close() {
    stopAll(StopReason.SHUTDOWN);
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
