package com.rendertrust.server.events;

import com.rendertrust.server.platform.redis.RedisConnector;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live side of job events on one replica: the watches open here, and how committed events
 * reach them.
 * <ul>
 *   <li>Events committed on this replica go to its watches at once, and to Redis channel
 *       {@code <prefix>job-events}, to which every replica subscribes, so watches anywhere see
 *       every event within a round trip. The events committed within {@link #FAN_OUT_WINDOW} of
 *       each other travel in one message (a JSON array): a lifecycle commits six events, and one
 *       PUBLISH each (sent, and received back by every replica) cost more than the events' rows.</li>
 *   <li>Pub/sub is at most once and Redis may be down: a poller also reads the table's tail
 *       (events by id, with a look-back for late commits): every {@link #POLL_WHEN_DOWN} while
 *       Redis is unreachable, every {@link #POLL_WHEN_UP} otherwise.</li>
 * </ul>
 * A watch drops what it already has (by seq) and reads gaps from the table, so the two paths may
 * overlap freely.
 */
public final class EventHub implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EventHub.class);
  static final Duration POLL_WHEN_DOWN = Duration.ofMillis(250);
  static final Duration POLL_WHEN_UP = Duration.ofSeconds(2);
  static final Duration FAN_OUT_WINDOW = Duration.ofMillis(2);
  private static final int EVENTS_PER_MESSAGE = 256;
  private static final int LOOK_BACK_IDS = 256;
  private static final int TAIL_PAGE = 1000;

  private final JobEventLog eventLog;
  private final RedisConnector redis;
  private final String channel;
  /** Prefixes this replica's fan-out messages ({@code <origin>|<event JSON>}). */
  private final String origin = java.util.UUID.randomUUID().toString();
  private final StatefulRedisPubSubConnection<String, String> pubsub;
  private final Map<UUID, Set<Watch>> byJob = new ConcurrentHashMap<>();
  private final Map<UUID, Set<Watch>> byUser = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private volatile boolean publishFailing;
  /** Committed here, not yet published: the next fan-out (scheduled while {@link #fanOutScheduled}) sends them. */
  private final Queue<StoredEvent> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean fanOutScheduled = new AtomicBoolean();
  private volatile long tailCursor;
  private volatile long lastPollNanos;

  EventHub(JobEventLog eventLog, RedisConnector redis, String keyPrefix, ScheduledExecutorService timer) {
    this.eventLog = eventLog;
    this.redis = redis;
    this.channel = keyPrefix + "job-events";
    this.timer = timer;
    this.pubsub = redis.connectPubSub();
    this.pubsub.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String from, String message) {
        int bar = message.indexOf('|');
        // this replica's own events reached its watches already, when they committed
        boolean own = bar == origin.length() && message.regionMatches(0, origin, 0, bar);
        if (channel.equals(from) && bar > 0 && !own) {
          deliver(OutgoingEvent.of(StoredEvent.fromWireJson(message.substring(bar + 1))));
        }
      }
    });
    try {
      pubsub.sync().subscribe(channel);
    } catch (RuntimeException e) {
      log.warn("subscribing to {} failed (Redis down?); watches poll the table until it is back", channel, e);
    }
    this.tailCursor = eventLog.lastId();
    long period = POLL_WHEN_DOWN.toMillis();
    timer.scheduleWithFixedDelay(this::pollSafely, period, period, TimeUnit.MILLISECONDS);
  }

  /** Events this replica committed: to its watches now, to the other replicas through Redis. */
  void committed(List<StoredEvent> events) {
    deliver(OutgoingEvent.of(events));
    outbox.addAll(events);
    if (fanOutScheduled.compareAndSet(false, true)) {
      try {
        timer.schedule(this::publishOutbox, FAN_OUT_WINDOW.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // closing: other replicas' pollers read these from the table
        outbox.clear();
      }
    }
  }

  /** Publishes what the outbox holds, in messages of at most {@link #EVENTS_PER_MESSAGE} events. */
  private void publishOutbox() {
    // cleared before draining: an event added after the drain's last poll schedules the next fan-out
    fanOutScheduled.set(false);
    List<StoredEvent> message = new ArrayList<>();
    for (StoredEvent event = outbox.poll(); event != null; event = outbox.poll()) {
      message.add(event);
      if (message.size() == EVENTS_PER_MESSAGE) {
        publish(message);
        message = new ArrayList<>();
      }
    }
    if (!message.isEmpty()) {
      publish(message);
    }
  }

  private void publish(List<StoredEvent> events) {
    try {
      redis.connection().async().publish(channel, origin + "|" + StoredEvent.toWireJson(events))
          .whenComplete((receivers, failure) -> publishFailing = failure != null);
    } catch (RuntimeException e) {
      publishFailing = true;
    }
  }

  void register(Watch watch) {
    (watch.jobId() != null ? byJob.computeIfAbsent(watch.jobId(), id -> ConcurrentHashMap.newKeySet())
        : byUser.computeIfAbsent(watch.userId(), id -> ConcurrentHashMap.newKeySet())).add(watch);
  }

  void unregister(Watch watch) {
    Map<UUID, Set<Watch>> index = watch.jobId() != null ? byJob : byUser;
    UUID key = watch.jobId() != null ? watch.jobId() : watch.userId();
    index.computeIfPresent(key, (id, watches) -> {
      watches.remove(watch);
      return watches.isEmpty() ? null : watches;
    });
  }

  /** Ends every open watch (UNAVAILABLE: resume on another replica), for a graceful shutdown. */
  void shutDownWatches() {
    byJob.values().forEach(watches -> watches.forEach(Watch::shutDown));
    byUser.values().forEach(watches -> watches.forEach(Watch::shutDown));
  }

  /** Open watches on this replica. */
  public int watchCount() {
    return byJob.values().stream().mapToInt(Set::size).sum() + byUser.values().stream().mapToInt(Set::size).sum();
  }

  /** True while live events travel through Redis; false while watches rely on polling. */
  public boolean redisLive() {
    return pubsub.isOpen() && !publishFailing;
  }

  /** To the watches of each event's job and owner: the same object to all (encoded once, see OutgoingEvent). */
  private void deliver(List<OutgoingEvent> events) {
    for (OutgoingEvent event : events) {
      Set<Watch> ofJob = byJob.get(event.event().jobId());
      if (ofJob != null) {
        ofJob.forEach(watch -> watch.offer(event));
      }
      Set<Watch> ofUser = byUser.get(event.event().userId());
      if (ofUser != null) {
        ofUser.forEach(watch -> watch.offer(event));
      }
    }
  }

  private void pollSafely() {
    try {
      long now = System.nanoTime();
      if (redisLive() && now - lastPollNanos < POLL_WHEN_UP.toNanos()) {
        return;
      }
      lastPollNanos = now;
      if (byJob.isEmpty() && byUser.isEmpty()) {
        tailCursor = Math.max(tailCursor, eventLog.lastId());
        return;
      }
      List<StoredEvent> tail;
      long from = Math.max(0, tailCursor - LOOK_BACK_IDS);
      do {
        tail = eventLog.tail(from, TAIL_PAGE);
        deliver(OutgoingEvent.of(tail));
        if (!tail.isEmpty()) {
          from = tail.get(tail.size() - 1).id();
          tailCursor = Math.max(tailCursor, from);
        }
      } while (tail.size() == TAIL_PAGE);
    } catch (RuntimeException e) {
      log.debug("polling job events failed; next tick retries", e);
    }
  }

  @Override
  public void close() {
    try {
      pubsub.close();
    } catch (RuntimeException e) {
      log.debug("closing the job events subscription failed", e);
    }
  }
}
