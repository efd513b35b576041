package com.rendertrust.agent.run;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.rendertrust.agent.jobs.JobExecutor;
import com.rendertrust.agent.jobs.JobExecutor.HeldJob;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.link.ReportOutbox;
import com.rendertrust.agent.link.ServerLink;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.RunningJob;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between the stream and the executor: takes dispatches (unless draining), passes cancels on,
 * and says what Hello and heartbeats report (capabilities, slots, held jobs, load).
 *
 * <p>While draining (SIGTERM, or the server's Drain on the current stream) a dispatch is not
 * started and not answered: the contract has no "reject" frame, and a FAILED result would fail
 * the creator's job, whereas an unanswered dispatch is requeued by the server when this node's
 * stream closes (or after the 5-minute DISPATCHED timeout).
 */
public final class JobDesk implements ServerLink.Inbound {

  private static final Logger log = LoggerFactory.getLogger(JobDesk.class);

  private final JobExecutor executor;
  private final ReportOutbox outbox;
  private final List<String> capabilities;
  private final String agentVersion;
  private volatile boolean draining;

  public JobDesk(JobExecutor executor, ReportOutbox outbox, List<String> capabilities, String agentVersion) {
    this.executor = executor;
    this.outbox = outbox;
    this.capabilities = List.copyOf(capabilities);
    this.agentVersion = agentVersion;
  }

  public List<String> capabilities() {
    return capabilities;
  }

  public void startDraining() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  @Override
  public void onDispatch(JobSpec job, boolean streamDraining) {
    if (draining || streamDraining) {
      log.info("{} ({}): not started, this node is draining; the server will requeue it", job.label(), job.jobType());
      return;
    }
    if (executor.submit(job)) {
      log.info("{} ({}): dispatched", job.label(), job.jobType());
    }
  }

  @Override
  public void onCancel(String jobId, String assignmentId, String reason) {
    if (executor.cancel(jobId, assignmentId)) {
      log.info("job {}: cancel requested by the server ({})", jobId, reason.isEmpty() ? "no reason given" : reason);
    }
  }

  @Override
  public void onDrain(String reason, Duration grace) {
    List<JobSpec> dropped = executor.dropQueued();
    log.warn("the server asks this node to drain ({}): no new jobs on this stream, {} running job(s) may finish within {} s;"
        + " the agent keeps running and reconnects when the server closes the stream", reason.isEmpty() ? "no reason given" : reason,
        executor.runningCount(), grace.toSeconds());
    dropped.forEach(job -> log.info("{}: dropped before it started (draining)", job.label()));
  }

  /** Jobs this node still holds: running or queued here, or finished with a result not yet delivered. */
  public List<HeldJob> heldJobs() {
    Map<String, HeldJob> held = new LinkedHashMap<>();
    executor.held().forEach(job -> held.put(job.assignmentId(), job));
    outbox.held().forEach(job -> held.putIfAbsent(job.assignmentId(), job));
    return List.copyOf(held.values());
  }

  public Hello.Builder hello() {
    Hello.Builder hello = Hello.newBuilder()
        .addAllCapabilities(capabilities)
        .setSlots(executor.slots())
        .setAgentVersion(agentVersion);
    heldJobs().forEach(job -> hello.addRunning(RunningJob.newBuilder()
        .setJobId(job.jobId()).setAssignmentId(job.assignmentId()).setTaskId(job.taskId())));
    return hello;
  }

  public NodeHeartbeat heartbeat() {
    int slots = executor.slots();
    int running = executor.runningCount();
    int held = executor.heldCount();
    return NodeHeartbeat.newBuilder()
        .setCurrentLoad(Math.min(1.0, running / (double) slots))
        .setFreeSlots(draining ? 0 : Math.max(0, slots - held))
        .setMetadata(Struct.newBuilder()
            .putFields("running_jobs", Value.newBuilder().setNumberValue(running).build())
            .putFields("draining", Value.newBuilder().setBoolValue(draining).build())
            .putFields("agent_version", Value.newBuilder().setStringValue(agentVersion).build()))
        .build();
  }
}
