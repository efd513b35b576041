package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.ErrorCode;
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
 * own work dir, upload (of the single result, or of each output as the plugin writes it), then
 * COMPLETED or FAILED with an {@link ErrorCode}. Whatever a plugin does, the job ends with exactly
 * one outcome and the executor keeps going. Work is keyed by assignment: one node may run several
 * tasks of the same job side by side.
 */
public final class JobExecutor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JobExecutor.class);

  /** A job the node holds (queued or running), as Hello lists it. */
  public record HeldJob(String jobId, String assignmentId, String taskId) {}

  /** A job as {@code status} and the local status endpoint show it. */
  public record JobView(String jobId, String taskId, String assignmentId, String jobType, String state,
      Optional<Instant> startedAt) {}

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
  /** By assignment id. */
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
   * assignment of the same task (of the same job, for dispatches without a task) replaces the old
   * attempt, whose reports would be stale. Other tasks of the same job run side by side.
   */
  public synchronized boolean submit(JobSpec spec) {
    if (jobs.containsKey(spec.assignmentId())) {
      log.debug("{}: duplicate dispatch of assignment {} ignored", spec.label(), spec.assignmentId());
      return false;
    }
    for (ActiveJob existing : List.copyOf(jobs.values())) {
      if (sameTask(existing.spec, spec)) {
        log.info("{}: new assignment {} replaces {}", spec.label(), spec.assignmentId(), existing.spec.assignmentId());
        stop(existing, StopReason.CANCELLED);
      }
    }
    ActiveJob job = new ActiveJob(spec);
    jobs.put(spec.assignmentId(), job);
    job.future = workers.submit(() -> run(job));
    return true;
  }

  private static boolean sameTask(JobSpec held, JobSpec dispatched) {
    return held.jobId().equals(dispatched.jobId()) && held.taskId().equals(dispatched.taskId());
  }

  /**
   * Stops the assignment (kills its plugin process) if this node holds it, or every assignment of
   * the job when the cancel names none; no report follows.
   */
  public synchronized boolean cancel(String jobId, String assignmentId) {
    List<ActiveJob> matching = jobs.values().stream()
        .filter(job -> job.spec.jobId().equals(jobId))
        .filter(job -> assignmentId.isEmpty() || job.spec.assignmentId().equals(assignmentId))
        .toList();
    matching.forEach(job -> stop(job, StopReason.CANCELLED));
    return !matching.isEmpty();
  }

  /** Drops every job that has not started yet (draining): they were never accepted, so the server requeues them. */
  public synchronized List<JobSpec> dropQueued() {
    List<JobSpec> dropped = new ArrayList<>();
    for (ActiveJob job : List.copyOf(jobs.values())) {
      if (job.state == State.QUEUED) {
        job.state = State.DROPPED;
        job.future.cancel(false);
        jobs.remove(job.spec.assignmentId(), job);
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
    return jobs.values().stream()
        .map(job -> new HeldJob(job.spec.jobId(), job.spec.assignmentId(), job.spec.taskId()))
        .toList();
  }

  public synchronized int runningCount() {
    return (int) jobs.values().stream().filter(job -> job.state == State.RUNNING).count();
  }

  public synchronized int heldCount() {
    return jobs.size();
  }

  public synchronized List<JobView> snapshot() {
    return jobs.values().stream()
        .map(job -> new JobView(job.spec.jobId(), job.spec.taskId(), job.spec.assignmentId(), job.spec.jobType(),
            job.state.name(), Optional.ofNullable(job.startedAt)))
        .sorted(Comparator.comparing(JobView::jobId).thenComparing(JobView::taskId).thenComparing(JobView::assignmentId))
        .toList();
  }

  private void stop(ActiveJob job, StopReason reason) {
    if (job.state == State.QUEUED) {
      job.state = State.DROPPED;
      job.future.cancel(false);
      jobs.remove(job.spec.assignmentId(), job);
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
    jobs.remove(job.spec.assignmentId(), job);
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
      log.warn("{}: its deadline passed before it could start", spec.label());
      reports.accepted(spec);
      reports.failed(spec, ErrorCode.TIMEOUT, "the job's deadline had passed before it could start", Duration.ZERO);
      finish(job);
      return;
    }
    job.stop.bind(Thread.currentThread());
    ScheduledFuture<?> watchdog = timer.schedule(() -> job.stop.request(StopReason.TIME_LIMIT),
        limit.toMillis(), TimeUnit.MILLISECONDS);
    Path workDir = null;
    OutputDelivery delivery = new OutputDelivery(spec, uploader, reports);
    log.info("{} ({}): started, assignment {}, time limit {} s", spec.label(), spec.jobType(), spec.assignmentId(),
        limit.toSeconds());
    try {
      reports.accepted(spec);
      JobPlugin plugin = plugins.find(spec.jobType()).orElseThrow(() -> new PluginFailure(
          "this node does not offer job type '" + spec.jobType() + "'"));
      workDir = workDirs.create(spec);
      Files.writeString(workDir.resolve("input.json"), spec.payloadJson(), StandardCharsets.UTF_8);
      Optional<Path> input = inputs.fetch(spec, workDir, limit);
      JobContext context = new JobContext(spec, workDir, input, limit, job.stop,
          (percent, message, framesDone) -> reports.progress(spec, percent, message, framesDone),
          spec.outputs().isEmpty() ? JobContext.noOutputTargets() : delivery);
      delivery.bind(context);
      context.checkStillWanted();
      PluginOutput output = plugin.run(context);
      context.checkStillWanted();
      String resultRef = deliver(output, delivery, context);
      context.checkStillWanted();
      Duration runtime = elapsed(startedNanos);
      log.info("{}: completed in {} ms", spec.label(), runtime.toMillis());
      reports.completed(spec, resultRef, runtime);
    } catch (JobStoppedException e) {
      stopped(spec, e.reason(), limit, startedNanos);
    } catch (InterruptedException e) {
      stopped(spec, job.stop.reason().orElse(StopReason.SHUTDOWN), limit, startedNanos);
    } catch (PluginFailure e) {
      if (job.stop.reason().isPresent()) {
        stopped(spec, job.stop.reason().get(), limit, startedNanos);
      } else {
        log.warn("{}: failed ({}): {}", spec.label(), e.code(), e.getMessage());
        reports.failed(spec, e.code(), e.getMessage(), elapsed(startedNanos));
      }
    } catch (Exception | LinkageError | StackOverflowError | OutOfMemoryError e) {
      if (job.stop.reason().isPresent()) {
        stopped(spec, job.stop.reason().get(), limit, startedNanos);
      } else {
        log.error("{}: plugin '{}' crashed", spec.label(), spec.jobType(), e);
        reports.failed(spec, ErrorCode.PLUGIN_ERROR, "plugin '" + spec.jobType() + "' crashed: " + describe(e),
            elapsed(startedNanos));
      }
    } finally {
      watchdog.cancel(false);
      delivery.close();
      job.stop.unbind();
      Thread.interrupted();
      workDirs.release(workDir);
      finish(job);
    }
  }

  /**
   * A single result goes to the job's upload_url now; outputs handed over while the plugin ran
   * must all have reached their targets, one per target the dispatch named.
   */
  private String deliver(PluginOutput output, OutputDelivery delivery, JobContext context)
      throws PluginFailure, JobStoppedException, InterruptedException {
    JobSpec spec = context.job();
    if (output.file().isPresent()) {
      return uploader.upload(output.file().get(), context);
    }
    delivery.awaitAll();
    List<Integer> missing = spec.outputs().stream().map(OutputTarget::frame)
        .filter(frame -> !delivery.delivered().contains(frame)).toList();
    if (spec.outputs().isEmpty() || !missing.isEmpty()) {
      throw new PluginFailure("plugin '" + spec.jobType() + "' ended without delivering the output"
          + (missing.isEmpty() ? "" : "s of frame(s) " + missing));
    }
    return "";
  }

  private void stopped(JobSpec spec, StopReason reason, Duration limit, long startedNanos) {
    switch (reason) {
      case TIME_LIMIT -> {
        String message = "the job exceeded its time limit of " + describe(limit) + " and was stopped";
        log.warn("{}: {}", spec.label(), message);
        reports.failed(spec, ErrorCode.TIMEOUT, message, elapsed(startedNanos));
      }
      case CANCELLED -> {
        log.info("{}: cancelled", spec.label());
        reports.forget(spec);
      }
      case SHUTDOWN -> {
        log.info("{}: stopped by shutdown; the server will requeue it", spec.label());
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
