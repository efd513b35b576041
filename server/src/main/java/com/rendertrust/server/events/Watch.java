package com.rendertrust.server.events;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open watch: of one job ({@code jobId} set) or of every job of a user. Events arrive from
 * the hub in any order and any number of times; the watch sends each job's events in seq order,
 * each once: what it already sent is dropped, and a gap (an event with seq beyond the next one)
 * is filled from the table first. Sending is serial (one drain at a time on {@code executor}),
 * so a sink never sees concurrent calls. A job watch ends after its job's terminal event.
 */
final class Watch {

  private static final Logger log = LoggerFactory.getLogger(Watch.class);
  private static final int PAGE = 500;

  /** Where a watch's events go: a gRPC stream, an SSE response. */
  interface Sink {
    void send(StoredEvent event);

    /** The job's terminal event was sent: end the stream. */
    void complete();

    /** Sending failed or the server gives up: end the stream with an error. */
    void fail(RuntimeException cause);
  }

  private final UUID jobId;
  private final UUID userId;
  private final JobEventLog eventLog;
  private final EventHub hub;
  private final Executor executor;
  private final Sink sink;
  private final Map<UUID, Integer> lastSeq = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<StoredEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean live;
  private volatile boolean ended;
  private volatile boolean shuttingDown;

  Watch(UUID jobId, UUID userId, JobEventLog eventLog, EventHub hub, Executor executor, Sink sink) {
    this.jobId = jobId;
    this.userId = userId;
    this.eventLog = eventLog;
    this.hub = hub;
    this.executor = executor;
    this.sink = sink;
  }

  UUID jobId() {
    return jobId;
  }

  UUID userId() {
    return userId;
  }

  /**
   * Job watch: subscribes, replays the stored events after {@code afterSeq}, then goes live.
   * {@code jobEnded}: the job is already terminal (the stream ends after the replay even if an
   * old job has no terminal event stored).
   */
  void startJob(long afterSeq, boolean jobEnded) {
    hub.register(this);
    lastSeq.put(jobId, (int) Math.min(afterSeq, Integer.MAX_VALUE));
    run(() -> {
      catchUp(jobId);
      if (!ended && jobEnded) {
        catchUp(jobId); // the terminal event may have committed between the status read and the replay
        if (!ended) {
          end(true);
        }
      }
    });
    goLive();
  }

  /** User watch: subscribes, replays the user's stored events with id > {@code afterId} (if any), then goes live. */
  void startUser(Long afterId) {
    hub.register(this);
    if (afterId != null) {
      run(() -> {
        long cursor = afterId;
        List<StoredEvent> page;
        do {
          page = eventLog.forUser(userId, cursor, PAGE);
          for (StoredEvent event : page) {
            handle(event);
            cursor = event.id();
          }
        } while (page.size() == PAGE && !ended);
      });
    }
    goLive();
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
  }

  boolean ended() {
    return ended;
  }

  void offer(StoredEvent event) {
    if (ended) {
      return;
    }
    inbox.add(event);
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
      StoredEvent event;
      while ((event = inbox.poll()) != null) {
        StoredEvent next = event;
        run(() -> handle(next));
      }
      draining.set(false);
      if (inbox.isEmpty() || !draining.compareAndSet(false, true)) {
        return;
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
      log.debug("watch of {} failed", jobId != null ? "job " + jobId : "user " + userId, e);
      ended = true;
      hub.unregister(this);
      sink.fail(e);
    }
  }

  private void handle(StoredEvent event) {
    if (ended) {
      return;
    }
    Integer last = lastSeq.get(event.jobId());
    if (last != null && event.seq() <= last) {
      return;
    }
    if (last != null && event.seq() > last + 1) {
      catchUp(event.jobId());
      return; // the table had it (it committed before it was announced)
    }
    send(event);
  }

  /** Sends the job's stored events after the last one sent. */
  private void catchUp(UUID job) {
    List<StoredEvent> page;
    do {
      page = eventLog.forJob(job, lastSeq.getOrDefault(job, 0), PAGE);
      for (StoredEvent event : page) {
        send(event);
        if (ended) {
          return;
        }
      }
    } while (page.size() == PAGE);
  }

  private void send(StoredEvent event) {
    if (ended) {
      return;
    }
    sink.send(event);
    lastSeq.put(event.jobId(), event.seq());
    if (jobId != null && event.terminal()) {
      end(true);
    }
  }

  private void end(boolean completed) {
    ended = true;
    hub.unregister(this);
    if (completed) {
      sink.complete();
    }
  }
}
