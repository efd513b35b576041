package com.rendertrust.server.nodes;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobProgress;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.OutputReady;
import com.rendertrust.server.jobs.ActiveAssignment;
import com.rendertrust.server.jobs.CoalescingTask;
import com.rendertrust.server.jobs.HeldAssignment;
import com.rendertrust.server.jobs.JobStatus;
import com.rendertrust.server.jobs.ReportOutcome;
import com.rendertrust.server.nodes.Frames.Ref;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Connect stream. Inbound frames are handled one at a time (the call delivers them
 * sequentially, and the next is only requested once the current one is handled, so a node
 * flooding frames is slowed to the server's pace); accepts and results are written while the
 * stream goes on, a bounded number at once ({@link StreamWrites}). Those writes and a heartbeat's
 * wait without the session's lock, so dispatches and cancels keep flowing to the node meanwhile.
 * Outbound frames go through a bounded {@link Outbox} drained only while the transport is ready,
 * so a node that stops reading cannot make the server buffer without limit: past {@value
 * #MAX_OUTBOX} waiting frames the stream ends.
 *
 * <p>The session keeps the assignments it told the node about ({@link KnownAssignments}); {@link
 * #sync} reconciles them with the database (the truth, possibly changed by another replica) and
 * sends the missing dispatches and the withdrawals. Frames map to domain values in {@link Frames}. It runs on
 * wake-ups (Redis or local), after the session's own changes, and when the replica's periodic check
 * finds the stream behind. The call ends exactly once, through {@link #end}.
 */
public final class NodeSession implements StreamObserver<ConnectRequest> {

  private static final Logger log = LoggerFactory.getLogger(NodeSession.class);
  static final int MAX_OUTBOX = 1000;

  private final UUID nodeId;
  /** The token the stream was opened with: the Hello's proof (if any) is over its registration. */
  private final NodeToken token;
  private final UUID sessionId = UUID.randomUUID();
  private final ServerCallStreamObserver<ConnectResponse> out;
  private final StreamContext context;
  private final CoalescingTask syncTask;

  /** Guards the session's state and serialises frame handling with sync. */
  private final ReentrantLock work = new ReentrantLock();
  private final KnownAssignments known = new KnownAssignments();
  /** Dispatches announced since the last sync (other threads add them); a full sync makes them moot. */
  private final Queue<Announced> announced = new ConcurrentLinkedQueue<>();
  /** Whether the next sync re-reads all the node's jobs, or only delivers what was {@link #announced}. */
  private final AtomicBoolean fullSync = new AtomicBoolean();
  private final StreamWrites writes;
  private boolean established;
  /** Written under {@code work}; read without it by a heartbeat, which holds no lock while it writes. */
  private volatile boolean draining;
  private final Outbox<ConnectResponse> outbox;
  private final HeartbeatWatch heartbeats;

  NodeSession(NodeToken token, ServerCallStreamObserver<ConnectResponse> out, StreamContext context) {
    this.nodeId = token.nodeId();
    this.token = token;
    this.out = out;
    this.context = context;
    this.syncTask = new CoalescingTask("sync of node " + nodeId, context.workers(), this::syncLocked);
    this.outbox = new Outbox<>(out, MAX_OUTBOX);
    this.writes = new StreamWrites(nodeId, context, new WrittenReports());
    out.setOnReadyHandler(outbox::drain);
    out.setOnCancelHandler(() -> end(null, false));
    Duration timeout = context.config().heartbeatTimeout();
    // ending touches the database: on a worker, not on the timer
    this.heartbeats = new HeartbeatWatch(context.timers(), timeout, this::isEnded, () -> context.workers().execute(
        () -> end(new DomainException(Reason.HEARTBEAT_TIMEOUT, "no heartbeat for " + timeout.toMillis() + " ms"), true)));
  }

  UUID nodeId() {
    return nodeId;
  }

  UUID sessionId() {
    return sessionId;
  }

  // ---- inbound ----

  @Override
  public void onNext(ConnectRequest frame) {
    long arrived = System.nanoTime();
    try {
      if (isEnded()) {
        return;
      }
      switch (frame.getKindCase()) {
        case HELLO -> locked(() -> onHello(frame.getHello()));
        case HEARTBEAT -> {
          NodeHeartbeat heartbeat = requireEstablished(frame.getHeartbeat());
          heartbeats.heard();
          StreamHeartbeat.write(context, nodeId, sessionId, heartbeat, () -> draining);
          context.heartbeats().record(System.nanoTime() - arrived, TimeUnit.NANOSECONDS);
        }
        case ACCEPTED -> onAccepted(Ref.of(requireEstablished(frame.getAccepted()).getJobId(),
            frame.getAccepted().getAssignmentId()));
        case PROGRESS -> {
          JobProgress progress = requireEstablished(frame.getProgress());
          writes.awaitAccept(progress.getAssignmentId());
          locked(() -> onProgress(progress));
        }
        case RESULT -> onResult(requireEstablished(frame.getResult()));
        case OUTPUT_READY -> {
          OutputReady output = requireEstablished(frame.getOutputReady());
          writes.awaitAccept(output.getAssignmentId());
          onOutputReady(output);
        }
        case KIND_NOT_SET -> log.debug("node {} sent a frame of an unknown kind; ignored", nodeId);
      }
    } catch (RuntimeException e) {
      end(e, true);
    }
  }

  /** Runs {@code action} under {@code work} unless the stream ended; whether it ran. */
  private boolean locked(Runnable action) {
    work.lock();
    try {
      if (isEnded()) {
        return false;
      }
      action.run();
      return true;
    } finally {
      work.unlock();
    }
  }

  /** The node closed its side: a clean end. */
  @Override
  public void onCompleted() {
    end(null, true);
  }

  /** The call failed or was cancelled by the node or the transport: nothing more can be sent. */
  @Override
  public void onError(Throwable t) {
    end(null, false);
  }

  private void onHello(Hello hello) {
    if (established) {
      throw new DomainException(Reason.INVALID_ARGUMENT, "hello may only be the first frame");
    }
    if (!context.sessions().acceptsNewStreams()) {
      // A stream taken now would get Drain at once, or be cut when the process exits.
      throw DomainException.unavailable("this server is shutting down; connect to another replica");
    }
    Map<UUID, UUID> running = Frames.running(hello); // assignment id -> job id
    NodeState state = context.nodes().openStream(token, sessionId, Frames.hello(hello, running));
    established = true;
    heartbeats.heard();
    context.sessions().register(this);
    send(Frames.welcome(nodeId, context.config()));
    Map<UUID, UUID> withdrawn = context.lifecycle().resumeAssignments(nodeId, running);
    known.resume(running, withdrawn);
    withdrawn.forEach((assignmentId, jobId) -> sendCancel(jobId, assignmentId, "no longer assigned to this node"));
    if (state.canTakeJobs()) {
      context.scheduler().assignQueuedTo(nodeId);
    }
    sync();
    log.info("node {} connected (stream {}, {} jobs resumed)", nodeId, sessionId, known.size());
  }

  /** Written off the stream ({@link StreamWrites}), then recorded ({@link WrittenReports#accepted}). */
  private void onAccepted(Optional<Ref> ref) {
    if (ref.isEmpty()) {
      log.warn("STALE_ASSIGNMENT: node {} accepted a malformed job/assignment id; discarded", nodeId);
      return;
    }
    boolean[] knownBefore = new boolean[1];
    if (locked(() -> knownBefore[0] = known.knows(ref.get().assignmentId()))) {
      writes.accept(ref.get().jobId(), ref.get().assignmentId(), knownBefore[0]);
    }
  }

  private void onProgress(JobProgress progress) {
    Optional<Ref> ref = Ref.of(progress.getJobId(), progress.getAssignmentId());
    if (ref.isPresent() && known.holds(ref.get().jobId(), ref.get().assignmentId())) {
      if (known.progressDue(ref.get().assignmentId(), System.nanoTime())) {
        context.lifecycle().progress(nodeId, ref.get().jobId(), ref.get().assignmentId(), progress.getPercent(),
            progress.getFramesDone(), progress.getMessage());
      }
      return;
    }
    log.warn("STALE_ASSIGNMENT: node {} reported progress for job {} under assignment {} it does not hold; discarded",
        nodeId, progress.getJobId(), progress.getAssignmentId());
  }

  /**
   * A task's final report. It is written off the stream ({@link StreamWrites}); until then the
   * assignment stays known, so a sync in between neither withdraws it nor dispatches it again.
   */
  private void onResult(JobResult result) {
    Optional<Ref> ref = Ref.of(result.getJobId(), result.getAssignmentId());
    Optional<Boolean> outcomeReported = Frames.completed(result);
    if (ref.isEmpty() || outcomeReported.isEmpty()) {
      log.warn("node {} sent a result without a valid job, assignment or outcome; discarded", nodeId);
      return;
    }
    writes.result(ref.get().jobId(), ref.get().assignmentId(), result, outcomeReported.get(),
        () -> locked(() -> known.resultSent(ref.get().assignmentId())));
  }

  /** The outcomes of {@link #writes}, recorded under {@code work}. */
  private final class WrittenReports implements StreamWrites.Session {

    /** A sync in between may have withdrawn the assignment (its job cancelled since): it stays forgotten. */
    @Override
    public void accepted(UUID jobId, UUID assignmentId, boolean knownBefore, ReportOutcome outcome) {
      locked(() -> {
        if (outcome == ReportOutcome.STALE) {
          known.forget(jobId, assignmentId);
          sendCancel(jobId, assignmentId, "assignment no longer held");
        } else if (known.knows(assignmentId) || !knownBefore) {
          known.accepted(jobId, assignmentId);
        }
      });
    }

    @Override
    public void resultWritten(UUID jobId, UUID assignmentId, ReportOutcome outcome) {
      locked(() -> {
        known.resultWritten(jobId, assignmentId, outcome == ReportOutcome.STALE);
        if (draining && known.isEmpty()) {
          end(new DomainException(Reason.DEPENDENCY_UNAVAILABLE, "server shutting down; reconnect"), true);
        }
      });
    }

    @Override
    public void failed(RuntimeException e) {
      end(e, true);
    }
  }

  /** A frame was uploaded: the server checks the stored object before it counts as delivered. */
  private void onOutputReady(OutputReady output) {
    Optional<Ref> ref = Ref.of(output.getJobId(), output.getAssignmentId());
    if (ref.isEmpty()) {
      log.warn("STALE_ASSIGNMENT: node {} reported an output with a malformed job/assignment id; discarded", nodeId);
      return;
    }
    context.outputs().outputReady(nodeId, ref.get().jobId(), ref.get().assignmentId(), Frames.output(output));
  }

  // ---- sync: database (truth) -> node ----

  void requestSync() {
    if (!isEnded()) {
      fullSync.set(true);
      syncTask.request();
    }
  }

  /** A dispatch committed to this node; {@code assignment} empty when the stream must read it. */
  private record Announced(UUID assignmentId, Optional<ActiveAssignment> assignment) {
  }

  /** {@code assignmentId} was committed as DISPATCHED to this node: the next sync reads and delivers just it. */
  void announceDispatch(UUID assignmentId) {
    announce(new Announced(assignmentId, Optional.empty()));
  }

  /** {@code assignment} was committed as DISPATCHED to this node: the next sync delivers it as it is, unread. */
  void announceDispatch(ActiveAssignment assignment) {
    announce(new Announced(assignment.assignmentId(), Optional.of(assignment)));
  }

  private void announce(Announced dispatch) {
    if (!isEnded()) {
      announced.add(dispatch);
      syncTask.request();
    }
  }

  /** The replica's periodic check (JobNetwork): re-reads the jobs unless the node was told exactly {@code held}. */
  void resyncUnlessCurrent(java.util.Set<UUID> held) {
    if (work.tryLock()) { // a busy stream is re-read anyway
      try {
        if (!established || known.assignmentIds().equals(held)) {
          return;
        }
      } finally {
        work.unlock();
      }
    }
    requestSync();
  }

  private void syncLocked() {
    work.lock();
    try {
      if (established && !isEnded()) {
        if (fullSync.getAndSet(false)) {
          announced.clear(); // committed before this sync reads: it delivers them
          sync();
        } else {
          for (Announced dispatch = announced.poll(); dispatch != null; dispatch = announced.poll()) {
            if (!known.knows(dispatch.assignmentId())) {
              deliver(dispatch);
            }
          }
        }
      }
    } catch (RuntimeException e) {
      fullSync.set(true);
      log.warn("sync of node {} failed; retried at the next tick", nodeId, e);
    } finally {
      work.unlock();
    }
  }

  /**
   * Withdraws assignments the node no longer holds, then sends dispatches it has not seen (in
   * that order, so an agent that keys work by job id stops an old attempt before it starts a
   * new one of the same job). Holds {@code work}.
   */
  private void sync() {
    KnownAssignments.Reconciliation plan = known.reconcile(context.lifecycle().holdings(nodeId));
    if (!plan.withdrawn().isEmpty()) {
      Map<UUID, JobStatus> statuses = context.lifecycle().statuses(List.copyOf(plan.withdrawn().values()));
      plan.withdrawn().forEach((assignmentId, jobId) -> {
        JobStatus status = statuses.get(jobId);
        // Harmless if the node already finished it: a node ignores cancels of jobs it does not run.
        sendCancel(jobId, assignmentId, status == JobStatus.CANCELLED ? "cancelled by user" : "assignment withdrawn");
      });
    }
    plan.toDispatch().forEach(held -> deliver(held.assignmentId()));
  }

  /** Sends an announced dispatch: as announced when the announcer knew the task, otherwise as read now. */
  private void deliver(Announced dispatch) {
    if (dispatch.assignment().isPresent()) {
      deliver(dispatch.assignment().get());
    } else {
      deliver(dispatch.assignmentId());
    }
  }

  /** Sends the dispatch of {@code assignmentId} if it is still DISPATCHED to this node (else it was withdrawn since). */
  private void deliver(UUID assignmentId) {
    context.lifecycle().activeAssignment(nodeId, assignmentId).ifPresent(this::deliver);
  }

  /** Sends the dispatch of {@code assignment} if it is DISPATCHED. Holds {@code work}. */
  private void deliver(ActiveAssignment assignment) {
    if (assignment.status() == JobStatus.DISPATCHED) {
      Frames.deliverable(context, nodeId, assignment).ifPresent(frame -> {
        send(frame);
        known.dispatched(new HeldAssignment(assignment.jobId(), assignment.assignmentId(), JobStatus.DISPATCHED));
      });
    }
  }

  // ---- drain / supersede / end ----

  /** Asks the node to take no new jobs and finish; the stream ends once it holds none. */
  void drain(String reason, Duration grace) {
    work.lock();
    try {
      if (isEnded() || draining) {
        return;
      }
      draining = true;
      if (established) {
        context.nodes().closeStream(nodeId, sessionId); // no new dispatches from any replica
      }
      send(Frames.drain(reason, grace));
      if (known.isEmpty()) {
        end(new DomainException(Reason.DEPENDENCY_UNAVAILABLE, reason + "; reconnect"), true);
      }
    } finally {
      work.unlock();
    }
  }

  /** A newer stream of the same node took over: this one ends, its jobs stay with the node. */
  void supersede() {
    end(replaced(), true);
  }

  boolean isEnded() {
    return outbox.isClosed();
  }

  /**
   * Ends the call exactly once: with {@code failure}'s status (null: OK) when {@code tell} and the
   * call is still open, silently when the node is already gone. Then forgets the stream.
   */
  void end(Throwable failure, boolean tell) {
    if (!outbox.close(failure, tell)) {
      return;
    }
    heartbeats.stop();
    context.sessions().unregister(this);
    if (established) {
      try {
        context.nodes().closeStream(nodeId, sessionId);
      } catch (RuntimeException e) {
        log.warn("could not record the end of node {}'s stream; the sweeper will notice", nodeId, e);
      }
    }
    if (failure instanceof DomainException de) {
      log.info("node {} stream {} ended: {} {}", nodeId, sessionId, de.reason(), de.detail());
    } else if (failure != null) {
      log.warn("node {} stream {} ended by an internal failure", nodeId, sessionId, failure);
    } else {
      log.info("node {} stream {} ended", nodeId, sessionId);
    }
  }

  // ---- outbound ----

  private void send(ConnectResponse frame) {
    if (outbox.offer(frame) == Outbox.Offer.FULL) {
      // The node stopped reading; holding more would only grow the heap.
      end(new DomainException(Reason.RATE_LIMITED, "the node is not reading its stream"), true);
    }
  }

  private void sendCancel(UUID jobId, UUID assignmentId, String reason) {
    send(Frames.cancel(jobId, assignmentId, reason));
  }

  // ---- helpers ----

  private <T> T requireEstablished(T frame) {
    if (!established) {
      throw new DomainException(Reason.INVALID_ARGUMENT, "the first frame of a stream must be hello");
    }
    return frame;
  }

  static DomainException replaced() {
    return new DomainException(Reason.STALE_ASSIGNMENT, "replaced by a newer stream of this node");
  }

}
