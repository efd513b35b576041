package com.rendertrust.server.events;

import com.rendertrust.server.jobs.JobEventStreams;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.redis.RedisConnector;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The events feature of one replica, wired: the log (which the jobs feature records into and
 * consumers such as webhooks read with {@link JobEventLog#readAfter}), the live hub, and the
 * JobService events RPCs. See docs/events.md.
 */
public final class Events implements AutoCloseable {

  private final JobEventLog log;
  private final EventHub hub;
  private final ExecutorService watchers;
  private final ScheduledThreadPoolExecutor timer;
  private final JobEventGrpc grpc;
  private final ReplayReader reader;

  private Events(JobEventLog log, EventHub hub, ExecutorService watchers, ScheduledThreadPoolExecutor timer) {
    this.log = log;
    this.hub = hub;
    this.watchers = watchers;
    this.timer = timer;
    this.reader = new ReplayReader(log, watchers);
    this.grpc = new JobEventGrpc(this);
  }

  /** {@code keyPrefix}: the installation's Redis prefix (replicas of one installation share it). */
  public static Events start(Database database, RedisConnector redis, String keyPrefix, Clock clock) {
    AtomicReference<EventHub> hubOnceBuilt = new AtomicReference<>();
    JobEventLog log = new JobEventLog(database, clock, committed -> {
      EventHub hub = hubOnceBuilt.get();
      if (hub != null) {
        hub.committed(committed);
      }
    });
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon()
        .name("rt-events-poll").factory());
    timer.setRemoveOnCancelPolicy(true);
    ExecutorService watchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rt-watch-", 0).factory());
    try {
      EventHub hub = new EventHub(log, redis, keyPrefix, timer);
      hubOnceBuilt.set(hub);
      return new Events(log, hub, watchers, timer);
    } catch (RuntimeException e) {
      timer.shutdownNow();
      watchers.shutdownNow();
      throw e;
    }
  }

  /** The log: the jobs feature's {@code JobEvents}, and the read API of every event. */
  public JobEventLog log() {
    return log;
  }

  public EventHub hub() {
    return hub;
  }

  /** The events RPCs of JobService, for the jobs adapter. */
  public JobEventStreams streams() {
    return grpc;
  }

  Watch newWatch(UUID jobId, UUID userId, Watch.Sink sink) {
    return new Watch(jobId, userId, reader, hub, watchers, sink, Watch.MAX_BUFFERED);
  }

  /** The gate of the watches' table reads (tests observe its batching). */
  ReplayReader reader() {
    return reader;
  }

  /** Shutdown, step one: open watches end with UNAVAILABLE, so clients resume on another replica. */
  public void drain() {
    hub.shutDownWatches();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    hub.close();
    watchers.shutdownNow();
  }
}
