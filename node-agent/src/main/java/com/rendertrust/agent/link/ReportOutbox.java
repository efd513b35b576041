package com.rendertrust.agent.link;

import com.rendertrust.agent.jobs.JobExecutor.HeldJob;
import com.rendertrust.agent.jobs.JobReports;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobAccepted;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobProgress;
import com.rendertrust.api.v1.JobResult;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns job reports into Connect frames and makes sure results survive a broken stream.
 *
 * <p>The contract has no acknowledgement of a {@code JobResult}. So a result is kept until it has
 * been written to a stream that then stayed up for a while (two heartbeat intervals): a result
 * written just before the stream broke may never have reached the server, so it is listed in the
 * next {@code Hello.running} and sent again after the next {@code Welcome}. If the server had it
 * after all, it answers the Hello with CancelJob (the node no longer holds the job), which drops
 * it here, or discards the resent frame as stale. A result produced while disconnected waits for
 * the next stream the same way. Progress is not buffered (only the latest matters). Results whose
 * dispatch deadline has passed are dropped: the server has requeued that job.
 */
public final class ReportOutbox implements JobReports {

  private static final Logger log = LoggerFactory.getLogger(ReportOutbox.class);

  /** Writes a frame to the current established stream; the stream's generation if it was written. */
  public interface FrameSink {
    OptionalLong send(ConnectRequest frame);
  }

  private static final class Entry {
    final JobSpec spec;
    boolean acceptedSent;
    ConnectRequest result;
    long resultGeneration = -1;
    long resultSentAtMillis;
    boolean resultEverSent;

    Entry(JobSpec spec) {
      this.spec = spec;
    }
  }

  private final Clock clock;
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
    entries.put(job.jobId(), entry);
    entry.acceptedSent = sink.send(acceptedFrame(job)).isPresent();
  }

  @Override
  public synchronized void progress(JobSpec job, int percent, String message) {
    Entry entry = entries.get(job.jobId());
    if (entry == null || entry.spec != job || !entry.acceptedSent) {
      return;
    }
    sink.send(ConnectRequest.newBuilder().setProgress(JobProgress.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId()).setPercent(percent).setMessage(message)).build());
  }

  @Override
  public synchronized void completed(JobSpec job, String resultRef, Duration runtime) {
    storeResult(job, JobResult.newBuilder().setJobId(job.jobId()).setAssignmentId(job.assignmentId())
        .setOutcome(JobOutcome.JOB_OUTCOME_COMPLETED).setResultRef(resultRef).setRuntimeMs(runtime.toMillis()).build());
  }

  @Override
  public synchronized void failed(JobSpec job, String errorMessage, Duration runtime) {
    failed(job, errorMessage, "", runtime);
  }

  @Override
  public synchronized void failed(JobSpec job, String errorMessage, String errorCode, Duration runtime) {
    storeResult(job, JobResult.newBuilder().setJobId(job.jobId()).setAssignmentId(job.assignmentId())
        .setOutcome(JobOutcome.JOB_OUTCOME_FAILED).setErrorMessage(errorMessage).setErrorCode(errorCode)
        .setRuntimeMs(runtime.toMillis()).build());
  }

  @Override
  public synchronized void forget(JobSpec job) {
    Entry entry = entries.get(job.jobId());
    if (entry != null && entry.spec.assignmentId().equals(job.assignmentId())) {
      entries.remove(job.jobId());
    }
  }

  /** The server cancelled the job: whatever is still waiting for it is dropped. */
  public synchronized void cancelled(String jobId, String assignmentId) {
    Entry entry = entries.get(jobId);
    if (entry != null && (assignmentId.isEmpty() || entry.spec.assignmentId().equals(assignmentId))) {
      entries.remove(jobId);
    }
  }

  /** Jobs whose result still has to reach the server: Hello lists them next to the running ones. */
  public synchronized List<HeldJob> held() {
    return entries.values().stream()
        .filter(entry -> entry.result != null)
        .map(entry -> new HeldJob(entry.spec.jobId(), entry.spec.assignmentId()))
        .toList();
  }

  /**
   * Results that have never been written to any stream (finished while disconnected). Shutdown
   * waits for these within its grace; results merely in doubt (written once, stream broke soon
   * after) most likely arrived and do not hold it up.
   */
  public synchronized int neverSentResults() {
    return (int) entries.values().stream().filter(entry -> entry.result != null && !entry.resultEverSent).count();
  }

  /** A new stream is established: send what the previous one may not have delivered. */
  public synchronized void onEstablished() {
    dropExpired();
    for (Entry entry : entries.values()) {
      if (!entry.acceptedSent) {
        entry.acceptedSent = sink.send(acceptedFrame(entry.spec)).isPresent();
      }
      if (entry.result != null && entry.resultGeneration < 0) {
        sendResult(entry);
      }
    }
  }

  /** A stream ended: results written to it shortly before may be lost, so they go out again on the next one. */
  public synchronized void onStreamEnded(long generation, Duration inDoubtWindow) {
    long now = clock.millis();
    for (Entry entry : entries.values()) {
      if (entry.result != null && entry.resultGeneration == generation
          && now - entry.resultSentAtMillis < inDoubtWindow.toMillis()) {
        entry.resultGeneration = -1;
        log.info("job {}: the stream broke shortly after its result was sent; it is sent again after reconnecting",
            entry.spec.jobId());
      }
    }
  }

  /** Forgets results that have been on a healthy stream for the in-doubt window. Called at each heartbeat. */
  public synchronized void settle(long liveGeneration, Duration inDoubtWindow) {
    long now = clock.millis();
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.result != null && entry.resultGeneration == liveGeneration
          && now - entry.resultSentAtMillis >= inDoubtWindow.toMillis()) {
        it.remove();
      }
    }
    dropExpired();
  }

  private void storeResult(JobSpec job, JobResult result) {
    Entry entry = entries.computeIfAbsent(job.jobId(), id -> new Entry(job));
    if (!entry.spec.assignmentId().equals(job.assignmentId())) {
      return;
    }
    entry.result = ConnectRequest.newBuilder().setResult(result).build();
    sendResult(entry);
  }

  private void sendResult(Entry entry) {
    OptionalLong generation = sink.send(entry.result);
    if (generation.isPresent()) {
      entry.resultGeneration = generation.getAsLong();
      entry.resultSentAtMillis = clock.millis();
      entry.resultEverSent = true;
    } else {
      entry.resultGeneration = -1;
    }
  }

  private void dropExpired() {
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.result != null && entry.spec.deadline().isPresent() && clock.instant().isAfter(entry.spec.deadline().get())) {
        log.warn("job {}: its result could not be delivered before the deadline; the server has requeued the job",
            entry.spec.jobId());
        it.remove();
      }
    }
  }

  private static ConnectRequest acceptedFrame(JobSpec job) {
    return ConnectRequest.newBuilder().setAccepted(JobAccepted.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId())).build();
  }
}
