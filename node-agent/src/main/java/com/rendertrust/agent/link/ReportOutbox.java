package com.rendertrust.agent.link;

import com.rendertrust.agent.jobs.JobExecutor.HeldJob;
import com.rendertrust.agent.jobs.JobReports;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.jobs.OutputReport;
import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobAccepted;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobProgress;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.OutputReady;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns job reports into Connect frames and makes sure results and outputs survive a broken
 * stream. Entries are keyed by assignment: one node may run several tasks of the same job.
 *
 * <p>The contract has no acknowledgement of a {@code JobResult}. So a result is kept until it has
 * been written to a stream that then stayed up for a while (two heartbeat intervals): a result
 * written just before the stream broke may never have reached the server, so it is listed in the
 * next {@code Hello.running} and sent again after the next {@code Welcome}. If the server had it
 * after all, it answers the Hello with CancelJob (the node no longer holds the job), which drops
 * it here, or discards the resent frame as stale. A result produced while disconnected waits for
 * the next stream the same way. Progress is not buffered (only the latest matters). Results whose
 * dispatch deadline has passed are dropped: the server has requeued that job.
 *
 * <p>{@code OutputReady} frames are kept the same way: each is sent again after a reconnect when it
 * was written shortly before the stream broke or not at all (the server takes a repeated report of
 * the same output as a no-op), and they go out before the result, in the order the outputs were
 * delivered.
 */
public final class ReportOutbox implements JobReports {

  private static final Logger log = LoggerFactory.getLogger(ReportOutbox.class);

  /** Writes a frame to the current established stream; the stream's generation if it was written. */
  public interface FrameSink {
    OptionalLong send(ConnectRequest frame);
  }

  /** A frame that must reach the server, and on which stream it was last written. */
  private static final class Pending {
    final ConnectRequest frame;
    long generation = -1;
    long sentAtMillis;
    boolean everSent;

    Pending(ConnectRequest frame) {
      this.frame = frame;
    }

    boolean settledOn(long liveGeneration, long now, Duration inDoubtWindow) {
      return generation == liveGeneration && now - sentAtMillis >= inDoubtWindow.toMillis();
    }
  }

  private static final class Entry {
    final JobSpec spec;
    boolean acceptedSent;
    final List<Pending> outputs = new ArrayList<>();
    Pending result;

    Entry(JobSpec spec) {
      this.spec = spec;
    }

    List<Pending> pending() {
      List<Pending> all = new ArrayList<>(outputs);
      if (result != null) {
        all.add(result);
      }
      return all;
    }
  }

  private final Clock clock;
  /** By assignment id. */
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private FrameSink sink = frame -> OptionalLong.empty();

  public ReportOutbox(Clock clock) {
    this.clock = clock;
  }

  /** Connects the outbox to the link (they need each other; the composition root wires both). */
  public synchronized void attach(FrameSink frameSink) {
    this.sink = frameSink;
  }

  @Override
  public synchronized void accepted(JobSpec job) {
    Entry entry = new Entry(job);
    entries.put(job.assignmentId(), entry);
    entry.acceptedSent = sink.send(acceptedFrame(job)).isPresent();
  }

  @Override
  public synchronized void progress(JobSpec job, int percent, String message, int framesDone) {
    Entry entry = entries.get(job.assignmentId());
    if (entry == null || entry.spec != job || !entry.acceptedSent) {
      return;
    }
    sink.send(ConnectRequest.newBuilder().setProgress(JobProgress.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId()).setPercent(percent).setMessage(storable(message))
        .setFramesDone(framesDone)).build());
  }

  @Override
  public synchronized void outputReady(JobSpec job, OutputReport output) {
    Entry entry = entries.get(job.assignmentId());
    if (entry == null || entry.spec != job) {
      return;
    }
    Pending pending = new Pending(ConnectRequest.newBuilder().setOutputReady(OutputReady.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId()).setFrame(output.frame()).setName(output.name())
        .setSizeBytes(output.sizeBytes()).setSha256(output.sha256()).setContentType(output.contentType())).build());
    entry.outputs.add(pending);
    if (entry.acceptedSent) {
      send(pending);
    }
  }

  @Override
  public synchronized void completed(JobSpec job, String resultRef, Duration runtime) {
    storeResult(job, JobResult.newBuilder().setJobId(job.jobId()).setAssignmentId(job.assignmentId())
        .setOutcome(JobOutcome.JOB_OUTCOME_COMPLETED).setResultRef(resultRef).setRuntimeMs(runtime.toMillis())
        .setTraceparent(job.traceparent()).build());
  }

  @Override
  public synchronized void failed(JobSpec job, ErrorCode code, String errorMessage, Duration runtime) {
    storeResult(job, JobResult.newBuilder().setJobId(job.jobId()).setAssignmentId(job.assignmentId())
        .setOutcome(JobOutcome.JOB_OUTCOME_FAILED).setErrorCode(code.name()).setErrorMessage(storable(errorMessage))
        .setRuntimeMs(runtime.toMillis()).setTraceparent(job.traceparent()).build());
  }

  /**
   * Program output can carry U+0000, which the server refuses in any string (PostgreSQL cannot
   * store it) by ending the stream; a report says the same with U+FFFD in its place.
   */
  static String storable(String text) {
    return text.indexOf('\u0000') < 0 ? text : text.replace('\u0000', '\uFFFD');
  }

  @Override
  public synchronized void forget(JobSpec job) {
    entries.remove(job.assignmentId());
  }

  /** The server cancelled the assignment (every assignment of the job when it names none): what waits for it is dropped. */
  public synchronized void cancelled(String jobId, String assignmentId) {
    entries.values().removeIf(entry -> entry.spec.jobId().equals(jobId)
        && (assignmentId.isEmpty() || entry.spec.assignmentId().equals(assignmentId)));
  }

  /** Jobs whose result still has to reach the server: Hello lists them next to the running ones. */
  public synchronized List<HeldJob> held() {
    return entries.values().stream()
        .filter(entry -> entry.result != null)
        .map(entry -> new HeldJob(entry.spec.jobId(), entry.spec.assignmentId(), entry.spec.taskId()))
        .toList();
  }

  /**
   * Results that have never been written to any stream (finished while disconnected). Shutdown
   * waits for these within its grace; results merely in doubt (written once, stream broke soon
   * after) most likely arrived and do not hold it up.
   */
  public synchronized int neverSentResults() {
    return (int) entries.values().stream().filter(entry -> entry.result != null && !entry.result.everSent).count();
  }

  /** A new stream is established: send what the previous one may not have delivered. */
  public synchronized void onEstablished() {
    dropExpired();
    for (Entry entry : entries.values()) {
      if (!entry.acceptedSent) {
        entry.acceptedSent = sink.send(acceptedFrame(entry.spec)).isPresent();
      }
      if (entry.acceptedSent) {
        entry.pending().stream().filter(pending -> pending.generation < 0).forEach(this::send);
      }
    }
  }

  /** A stream ended: results and outputs written to it shortly before may be lost, so they go out again on the next one. */
  public synchronized void onStreamEnded(long generation, Duration inDoubtWindow) {
    long now = clock.millis();
    for (Entry entry : entries.values()) {
      for (Pending pending : entry.pending()) {
        if (pending.generation == generation && now - pending.sentAtMillis < inDoubtWindow.toMillis()) {
          pending.generation = -1;
          log.info("{}: the stream broke shortly after a {} was sent; it is sent again after reconnecting",
              entry.spec.label(), pending == entry.result ? "result" : "ready output");
        }
      }
    }
  }

  /**
   * Forgets results that have been on a healthy stream for the in-doubt window, and outputs that
   * have (those of running jobs too). Called at each heartbeat.
   */
  public synchronized void settle(long liveGeneration, Duration inDoubtWindow) {
    long now = clock.millis();
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      entry.outputs.removeIf(output -> output.settledOn(liveGeneration, now, inDoubtWindow));
      if (entry.result != null && entry.outputs.isEmpty() && entry.result.settledOn(liveGeneration, now, inDoubtWindow)) {
        it.remove();
      }
    }
    dropExpired();
  }

  private void storeResult(JobSpec job, JobResult result) {
    Entry entry = entries.computeIfAbsent(job.assignmentId(), id -> new Entry(job));
    entry.result = new Pending(ConnectRequest.newBuilder().setResult(result).build());
    // The outputs go first: a result overtaking an unsent output would end the task without it.
    if (entry.outputs.stream().allMatch(output -> output.generation >= 0)) {
      send(entry.result);
    }
  }

  private void send(Pending pending) {
    OptionalLong generation = sink.send(pending.frame);
    if (generation.isPresent()) {
      pending.generation = generation.getAsLong();
      pending.sentAtMillis = clock.millis();
      pending.everSent = true;
    } else {
      pending.generation = -1;
    }
  }

  private void dropExpired() {
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.result != null && entry.spec.deadline().isPresent() && clock.instant().isAfter(entry.spec.deadline().get())) {
        log.warn("{}: its result could not be delivered before the deadline; the server has requeued the job",
            entry.spec.label());
        it.remove();
      }
    }
  }

  private static ConnectRequest acceptedFrame(JobSpec job) {
    return ConnectRequest.newBuilder().setAccepted(JobAccepted.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId())).build();
  }
}
