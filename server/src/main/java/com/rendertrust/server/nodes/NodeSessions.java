package com.rendertrust.server.nodes;

import com.rendertrust.server.jobs.ActiveAssignment;
import com.rendertrust.server.jobs.NodeNotifier;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.redis.RedisConnector;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node streams this replica holds, and the Redis side of streams across replicas:
 * <ul>
 *   <li>channel {@code rt:node:<id>}: the replica holding the node's stream subscribes;
 *       "jobs" means the node's jobs changed (deliver or withdraw), "session:<id>" announces a
 *       newer stream of the node, which supersedes any other;</li>
 *   <li>key {@code rt:presence:node:<id>}: which replica holds the stream (expires unless
 *       refreshed by heartbeats).</li>
 * </ul>
 * Redis only speeds things up: PostgreSQL decides which stream holds a node and every stream
 * re-reads its jobs periodically, so with Redis down jobs still arrive, later.
 */
public final class NodeSessions implements NodeNotifier, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NodeSessions.class);
  private static final String CHANNEL_PREFIX = "rt:node:";
  private static final String PRESENCE_PREFIX = "rt:presence:node:";
  private static final String JOBS_CHANGED = "jobs";
  private static final String SESSION_PREFIX = "session:";
  private static final String DELETE_IF_MINE =
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

  private final Map<UUID, NodeSession> sessions = new ConcurrentHashMap<>();
  private final RedisConnector redis;
  private final StatefulRedisPubSubConnection<String, String> pubsub;
  private final String replicaId;
  private final Duration presenceTtl;
  private volatile boolean acceptingNewStreams = true;

  public NodeSessions(RedisConnector redis, UUID replicaId, Duration presenceTtl, Executor executor) {
    this.redis = redis;
    this.replicaId = replicaId.toString();
    this.presenceTtl = presenceTtl;
    this.pubsub = redis.connectPubSub();
    this.pubsub.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String channel, String message) {
        // Lettuce calls this on its event loop: hand the work (database reads) to a worker.
        executor.execute(() -> onSignal(channel, message));
      }
    });
  }

  /** From now on new streams are refused (this replica is shutting down); open ones are drained. */
  void stopAcceptingNewStreams() {
    acceptingNewStreams = false;
  }

  /**
   * Shutdown, step one: every stream here gets Drain and stops receiving jobs; streams end as
   * their nodes finish (or at the end of {@code grace}), and the nodes reconnect to another
   * replica, resuming what they still run.
   */
  public void drainAll(Duration grace) {
    stopAcceptingNewStreams();
    List<NodeSession> open = open();
    if (open.isEmpty()) {
      return;
    }
    log.info("draining {} node streams", open.size());
    open.forEach(session -> session.drain("server shutting down", grace));
    long deadline = System.nanoTime() + grace.toNanos();
    while (openCount() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    endAll();
  }

  /** Ends every stream still open here; their nodes reconnect to another replica. */
  public void endAll() {
    open().forEach(session ->
        session.end(new DomainException(Reason.DEPENDENCY_UNAVAILABLE, "server shutting down; reconnect"), true));
  }

  boolean acceptsNewStreams() {
    return acceptingNewStreams;
  }

  /** Makes {@code session} this node's stream here, superseding any older one anywhere. */
  void register(NodeSession session) {
    NodeSession previous = put(session);
    if (previous != null && previous != session) {
      previous.supersede();
    }
  }

  private synchronized NodeSession put(NodeSession session) {
    UUID nodeId = session.nodeId();
    NodeSession previous = sessions.put(nodeId, session);
    if (previous == null) {
      quietly("subscribe", () -> pubsub.async().subscribe(channel(nodeId)));
    }
    quietly("publish", () -> redis.connection().async().publish(channel(nodeId), SESSION_PREFIX + session.sessionId()));
    refreshPresence(nodeId);
    return previous;
  }

  synchronized void unregister(NodeSession session) {
    UUID nodeId = session.nodeId();
    if (sessions.remove(nodeId, session)) {
      quietly("unsubscribe", () -> pubsub.async().unsubscribe(channel(nodeId)));
      quietly("presence", () -> redis.connection().async()
          .<Long>eval(DELETE_IF_MINE, ScriptOutputType.INTEGER, new String[] {presenceKey(nodeId)}, replicaId));
    }
  }

  void refreshPresence(UUID nodeId) {
    quietly("presence", () -> redis.connection().async()
        .set(presenceKey(nodeId), replicaId, SetArgs.Builder.px(presenceTtl.toMillis())));
  }

  /** Which replica (id) holds the node's stream, per Redis; null when unknown. For operators and tests. */
  public String presenceOf(UUID nodeId) {
    try {
      return redis.connection().sync().get(presenceKey(nodeId));
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void jobsChanged(UUID nodeId) {
    NodeSession local = sessions.get(nodeId);
    if (local != null) {
      local.requestSync();
      return;
    }
    quietly("publish", () -> redis.connection().async().publish(channel(nodeId), JOBS_CHANGED));
  }

  /** A stream on this replica delivers just that assignment; one on another replica re-reads the node's jobs. */
  @Override
  public void dispatched(UUID nodeId, UUID assignmentId) {
    announceOrWake(nodeId, local -> local.announceDispatch(assignmentId));
  }

  /** A stream on this replica delivers that assignment as committed, unread; one on another replica re-reads the node's jobs. */
  @Override
  public void dispatched(UUID nodeId, ActiveAssignment assignment) {
    announceOrWake(nodeId, local -> local.announceDispatch(assignment));
  }

  private void announceOrWake(UUID nodeId, java.util.function.Consumer<NodeSession> announce) {
    NodeSession local = sessions.get(nodeId);
    if (local != null) {
      announce.accept(local);
    } else {
      jobsChanged(nodeId);
    }
  }

  /** The node's stream if this replica holds it. */
  public java.util.Optional<NodeSession> local(UUID nodeId) {
    return java.util.Optional.ofNullable(sessions.get(nodeId));
  }

  /**
   * The replica's periodic check of its streams: {@code held} answers, for the nodes of the open
   * streams, the assignments each holds (one query for all); only the streams whose node was told
   * something else re-read their jobs.
   */
  public void resyncBehind(java.util.function.Function<List<UUID>, Map<UUID, java.util.Set<UUID>>> held) {
    List<NodeSession> open = open();
    if (!open.isEmpty()) {
      Map<UUID, java.util.Set<UUID>> current = held.apply(open.stream().map(NodeSession::nodeId).toList());
      open.forEach(session -> session.resyncUnlessCurrent(current.getOrDefault(session.nodeId(), java.util.Set.of())));
    }
  }

  /** The streams open on this replica. */
  public List<NodeSession> open() {
    return List.copyOf(sessions.values());
  }

  public int openCount() {
    return sessions.size();
  }

  private void onSignal(String channel, String message) {
    if (!channel.startsWith(CHANNEL_PREFIX)) {
      return;
    }
    UUID nodeId;
    try {
      nodeId = UUID.fromString(channel.substring(CHANNEL_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return;
    }
    NodeSession local = sessions.get(nodeId);
    if (local == null) {
      return;
    }
    if (JOBS_CHANGED.equals(message)) {
      local.requestSync();
    } else if (message.startsWith(SESSION_PREFIX)
        && !message.substring(SESSION_PREFIX.length()).equals(local.sessionId().toString())) {
      local.supersede();
    }
  }

  private static String channel(UUID nodeId) {
    return CHANNEL_PREFIX + nodeId;
  }

  private static String presenceKey(UUID nodeId) {
    return PRESENCE_PREFIX + nodeId;
  }

  /** Fire and forget: a Redis failure (down, slow) is logged and otherwise ignored. */
  private static void quietly(String what, Supplier<RedisFuture<?>> command) {
    try {
      command.get().whenComplete((ignored, failure) -> {
        if (failure != null) {
          log.debug("redis {} failed (streams fall back to periodic re-reads): {}", what, failure.toString());
        }
      });
    } catch (RuntimeException e) {
      log.debug("redis {} failed (streams fall back to periodic re-reads): {}", what, e.toString());
    }
  }

  @Override
  public void close() {
    pubsub.close();
  }
}
