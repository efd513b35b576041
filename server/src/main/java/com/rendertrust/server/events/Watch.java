package com.rendertrust.server.events;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open watch: of one job ({@code jobId} set) or of every job of a user. Events arrive from
 * the hub in any order and any number of times; the watch sends each job's events in seq order,
 * each once: what it already sent is dropped, and a gap (an event with seq beyond the next one)
 * is filled from the table first. Sending is serial (one drain at a time on {@code executor}),
 * so a sink never sees concurrent calls. A job watch ends after its job's terminal event. Table
 * reads go through the {@link ReplayReader} (batched, and never more than a few connections).
 *
 * <p>Flow control: the watch sends only while its sink is ready (a gRPC stream's transport
 * buffer below its limit); events that arrive meanwhile wait in an inbox of at most
 * {@code maxBuffered}. A watch whose inbox overflows has fallen behind: it stops buffering, and
 * once its sink is ready again a job watch resyncs from the table (everything after its last
 * sent seq, page by page while the sink keeps up), while a user watch ends with
 * {@link FellBehind} (the client resumes with {@code after}). A slow watcher never blocks
 * the others, and its memory is bounded.
 */
final class Watch {

  private static final Logger log = LoggerFactory.getLogger(Watch.class);
  /** Events a watch buffers for a sink that is not ready. */
  static final int MAX_BUFFERED = 1024;

  /** Where a watch's events go: a gRPC stream, an SSE response. */
  interface Sink {
    void send(OutgoingEvent event);

    /** False while the sink's buffer is full: the watch waits for {@link Watch#ready}. */
    boolean ready();

    /** The job's terminal event was sent: end the stream. */
    void complete();

    /** Sending failed or the server gives up: end the stream with an error. */
    void fail(RuntimeException cause);
  }

  /** A user watch fell too far behind to be buffered: it ends, and its client resumes. */
  static final class FellBehind extends RuntimeException {
    FellBehind(int buffered) {
      super("the watcher fell behind (more than " + buffered + " events waiting); resume after the last event");
    }
  }

  private final UUID jobId;
  private final UUID userId;
  private final ReplayReader reader;
  private final EventHub hub;
  private final Executor executor;
  private final Sink sink;
  private final int maxBuffered;
  private final Map<UUID, Integer> lastSeq = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<OutgoingEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger buffered = new AtomicInteger();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean live;
  private volatile boolean ended;
  private volatile boolean shuttingDown;
  /** The inbox overflowed: what it dropped is read from the table (job watch) or the watch ends. */
  private volatile boolean behind;
  private volatile int resyncs;
  /** The job was terminal when the watch started: it ends once the replay is sent. */
  private volatile boolean endWhenCaughtUp;

  Watch(UUID jobId, UUID userId, ReplayReader reader, EventHub hub, Executor executor, Sink sink, int maxBuffered) {
    this.jobId = jobId;
    this.userId = userId;
    this.reader = reader;
    this.hub = hub;
    this.executor = executor;
    this.sink = sink;
    this.maxBuffered = maxBuffered;
  }

  UUID jobId() {
    return jobId;
  }

  UUID userId() {
    return userId;
  }

  /**
   * Job watch: subscribes, then (on the watch's own thread) replays the stored events after
   * {@code afterSeq} and goes live. {@code jobEnded}: the job is already terminal (the stream
   * ends after the replay even if an old job has no terminal event stored).
   */
  void startJob(long afterSeq, boolean jobEnded) {
    hub.register(this);
    lastSeq.put(jobId, (int) Math.min(afterSeq, Integer.MAX_VALUE));
    endWhenCaughtUp = jobEnded;
    executor.execute(() -> {
      run(this::replayJob);
      goLive();
    });
  }

  /** User watch: subscribes, replays the user's stored events with id > {@code afterId} (if any), then goes live. */
  void startUser(Long afterId) {
    hub.register(this);
    executor.execute(() -> {
      if (afterId != null) {
        run(() -> {
          long cursor = afterId;
          List<OutgoingEvent> page;
          do {
            page = reader.forUser(userId, cursor);
            for (OutgoingEvent event : page) {
              handle(event);
              cursor = event.event().id();
            }
          } while (page.size() == ReplayReader.PAGE && !ended);
        });
      }
      goLive();
    });
  }

  /**
   * The replica is shutting down: the stream ends with UNAVAILABLE (the client resumes elsewhere
   * after its last seq). Runs in the watch's serial drain, never next to a send.
   */
  void shutDown() {
    shuttingDown = true;
    if (live) {
      schedule();
    }
  }

  /** The client went away or the stream failed: stop. */
  void cancel() {
    ended = true;
    hub.unregister(this);
    inbox.clear();
  }

  /**
   * The sink can take events again (a gRPC stream's onReady, which Armeria calls after every
   * message written): drains only if something waits, so an idle watch costs nothing here.
   */
  void ready() {
    if (live && (behind || !inbox.isEmpty())) {
      schedule();
    }
  }

  boolean ended() {
    return ended;
  }

  /** Times this watch fell behind and was resynced from the table. */
  int resyncs() {
    return resyncs;
  }

  /** Events waiting in the inbox. */
  int buffered() {
    return buffered.get();
  }

  void offer(OutgoingEvent event) {
    if (ended) {
      return;
    }
    if (!behind) {
      if (buffered.incrementAndGet() > maxBuffered) {
        buffered.decrementAndGet();
        behind = true; // dropped: it committed before it was offered, so the resync reads it
      } else {
        inbox.add(event);
      }
    }
    if (live) {
      schedule();
    }
  }

  private void goLive() {
    live = true;
    schedule();
  }

  private void schedule() {
    if (draining.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    if (shuttingDown && !ended) {
      ended = true;
      hub.unregister(this);
      sink.fail(new IllegalStateException("server shutting down"));
    }
    while (true) {
      if (!ended && sink.ready()) {
        if (behind) {
          run(this::resync);
        }
        OutgoingEvent event;
        while (!behind && sink.ready() && (event = inbox.poll()) != null) {
          buffered.decrementAndGet();
          OutgoingEvent next = event;
          run(() -> handle(next));
        }
      }
      if (ended) {
        inbox.clear();
      }
      draining.set(false);
      // again if something arrived (and can be sent) after the last look
      boolean more = !ended && sink.ready() && (behind || !inbox.isEmpty());
      if (!more || !draining.compareAndSet(false, true)) {
        return;
      }
    }
  }

  /**
   * The inbox overflowed: drops what it holds and reads from the table instead. Everything the
   * watch dropped committed before it was offered, so the table has it. A job watch reads
   * after its last sent seq, page by page while the sink stays ready (if it fills up again the
   * watch stays behind and resumes at the next ready); a user watch ends.
   */
  private void resync() {
    OutgoingEvent dropped;
    while ((dropped = inbox.poll()) != null) {
      buffered.decrementAndGet();
    }
    if (jobId == null) {
      throw new FellBehind(maxBuffered);
    }
    behind = false;
    resyncs++;
    replayJob();
  }

  /**
   * Sends the job's stored events after the last sent one; if the sink fills up meanwhile, the
   * watch is behind and goes on when it is ready. A job that was terminal at the start ends the
   * watch once everything stored is sent.
   */
  private void replayJob() {
    if (!catchUp(jobId, true)) {
      behind = true;
      return;
    }
    if (!ended && endWhenCaughtUp) {
      // the terminal event may have committed between the status read and the replay
      if (!catchUp(jobId, true)) {
        behind = true;
      } else if (!ended) {
        end(true);
      }
    }
  }

  private void run(Runnable step) {
    if (ended) {
      inbox.clear();
      return;
    }
    try {
      step.run();
    } catch (RuntimeException e) {
      if (e instanceof FellBehind) {
        log.debug("watch of user {} fell behind", userId);
      } else {
        log.warn("watch of {} failed: {}", jobId != null ? "job " + jobId : "user " + userId, e.toString());
        log.debug("watch failure", e);
      }
      ended = true;
      hub.unregister(this);
      inbox.clear();
      sink.fail(e);
    }
  }

  private void handle(OutgoingEvent outgoing) {
    if (ended) {
      return;
    }
    StoredEvent event = outgoing.event();
    Integer last = lastSeq.get(event.jobId());
    if (last != null && event.seq() <= last) {
      return;
    }
    if (last != null && event.seq() > last + 1) {
      // the table has the gap (it committed before it was announced); a user watch fills it
      // whatever the sink's state (it cannot resync later), a job watch resyncs when ready
      if (!catchUp(event.jobId(), jobId != null)) {
        behind = true;
      }
      return;
    }
    send(outgoing);
  }

  /**
   * Sends the job's stored events after the last one sent, page by page ({@code paced}: only
   * while the sink is ready); false when it stopped because the sink was not (more may be stored).
   */
  private boolean catchUp(UUID job, boolean paced) {
    List<OutgoingEvent> page;
    do {
      if (paced && !sink.ready()) {
        return false;
      }
      page = reader.forJob(job, lastSeq.getOrDefault(job, 0));
      for (OutgoingEvent event : page) {
        if (event.event().seq() > lastSeq.getOrDefault(job, 0)) {
          send(event);
        }
        if (ended) {
          return true;
        }
      }
    } while (page.size() == ReplayReader.PAGE);
    return true;
  }

  private void send(OutgoingEvent outgoing) {
    if (ended) {
      return;
    }
    StoredEvent event = outgoing.event();
    sink.send(outgoing);
    lastSeq.put(event.jobId(), event.seq());
    if (jobId != null && event.terminal()) {
      end(true);
    }
  }

  private void end(boolean completed) {
    ended = true;
    hub.unregister(this);
    inbox.clear();
    if (completed) {
      sink.complete();
    }
  }
}
