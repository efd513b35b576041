package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record3;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Node identity and liveness: registration by Ed25519 key and proof of possession of the key
 * (both in {@link NodeCredentials}: which token may do what), heartbeats and the status they
 * imply, and the bookkeeping of which stream holds a node.
 */
public final class NodeService {

  private static final int MAX_SLOTS = 256;

  private final Database database;
  private final JobsConfig config;
  private final Clock clock;
  private final NodeCredentials credentials;
  private final Transactions transactions;
  private final HeartbeatBatch streamHeartbeats = new HeartbeatBatch(this::recordStreamHeartbeats);

  public NodeService(Database database, JobsConfig config, Clock clock, NodeTokens tokens) {
    this.database = database;
    this.config = config;
    this.clock = clock;
    this.credentials = new NodeCredentials(database, config, clock, tokens);
    this.transactions = new Transactions(database.dsl());
  }

  /** See {@link NodeCredentials#register}: a new or known key, a challenge and a token good for the proof only. */
  public RegisteredNode register(NodeRegistration registration) {
    return credentials.register(registration, Optional.empty());
  }

  /** See {@link NodeCredentials#register}: a node with its own proven token registers a (new) key for itself. */
  public RegisteredNode registerKeyOf(NodeToken node, NodeRegistration registration) {
    return credentials.register(registration, Optional.of(node));
  }

  /** See {@link NodeCredentials#prove}: signs off {@code token}'s registration, or CHALLENGE_FAILED. */
  public NodeState prove(NodeToken token, String signatureHex) {
    return credentials.prove(token, signatureHex);
  }

  /**
   * A heartbeat over REST: records liveness and load; a proven node becomes (or stays) HEALTHY.
   * Only a proven token may do this (TOKEN_INVALID otherwise), and it changes nothing before.
   */
  public NodeState heartbeat(NodeToken token, double currentLoad, Optional<String> metadataJson) {
    validateLoad(currentLoad, Reason.VALIDATION_FAILED);
    metadataJson.ifPresent(json -> Capabilities.validateMetadata(json, Reason.VALIDATION_FAILED));
    credentials.requireProven(token);
    return recordHeartbeat(token.nodeId(), Optional.empty(), currentLoad, metadataJson)
        .orElseThrow(() -> DomainException.notFound("node"));
  }

  /**
   * A stream starts: its token must be proven (or be proven now by the hello's signature over
   * the token's challenge), otherwise nothing changes; then the node's capabilities and slots
   * are replaced, it counts as heartbeating, and {@code session} becomes the node's stream (any
   * older stream of the node is thereby superseded).
   */
  public NodeState openStream(NodeToken token, UUID session, NodeHello hello) {
    UUID nodeId = token.nodeId();
    if (hello.slots() < 0 || hello.slots() > MAX_SLOTS) {
      throw new DomainException(Reason.INVALID_ARGUMENT, "slots must be between 1 and " + MAX_SLOTS);
    }
    String[] newCapabilities = hello.capabilities().isEmpty()
        ? null : Capabilities.validate(hello.capabilities(), Reason.INVALID_ARGUMENT);
    if (credentials.standing(token) == NodeCredentials.Standing.UNPROVEN) {
      if (hello.signature().isEmpty()) {
        throw new DomainException(Reason.NODE_NOT_VERIFIED,
            "prove possession of the node key first: sign the registration challenge (ProveNode or hello.signature)");
      }
      credentials.prove(token, hello.signature().get());
    }
    OffsetDateTime now = now();
    var update = database.dsl().update(NODES)
        .set(NODES.SLOTS, Math.max(1, hello.slots()))
        .set(NODES.AGENT_VERSION, truncate(hello.agentVersion(), 64))
        .set(NODES.STREAM_SESSION, session)
        .set(NODES.CONNECTED_AT, now)
        .setNull(NODES.DISCONNECTED_AT);
    if (newCapabilities != null) {
      String metadata = database.dsl().select(NODES.METADATA).from(NODES).where(NODES.ID.eq(nodeId))
          .fetchOptional(NODES.METADATA).map(JSONB::data).orElse("{}");
      update = update.set(NODES.CAPABILITIES, newCapabilities)
          .set(NODES.HAS_GPU, Capabilities.hasGpu(newCapabilities, metadata));
    }
    if (update.where(NodeCredentials.stillProven(token)).execute() == 0) {
      // the node proved another key between the check above and now
      throw new DomainException(Reason.TOKEN_INVALID, "this node token was issued for a key the node no longer has");
    }
    return recordHeartbeat(nodeId, Optional.of(session), null, Optional.empty())
        .orElseThrow(() -> new DomainException(Reason.UNAUTHENTICATED, "unknown node"));
  }

  /**
   * A heartbeat frame on stream {@code session}. Empty when the node's stream is no longer
   * this one (a newer stream replaced it): the caller must then end this stream.
   */
  public Optional<NodeState> streamHeartbeat(UUID nodeId, UUID session, double currentLoad, Optional<String> metadataJson) {
    validateLoad(currentLoad, Reason.INVALID_ARGUMENT);
    metadataJson.ifPresent(json -> Capabilities.validateMetadata(json, Reason.INVALID_ARGUMENT));
    if (metadataJson.isEmpty()) {
      return streamHeartbeats.record(new HeartbeatBatch.Beat(nodeId, session, currentLoad));
    }
    return recordHeartbeat(nodeId, Optional.of(session), currentLoad, metadataJson);
  }

  /** The stream ended: the node has no stream now, unless a newer one already replaced it. */
  public void closeStream(UUID nodeId, UUID session) {
    OffsetDateTime now = now();
    database.dsl().update(NODES)
        .setNull(NODES.STREAM_SESSION)
        .set(NODES.DISCONNECTED_AT, now)
        .set(NODES.UPDATED_AT, now)
        .where(NODES.ID.eq(nodeId).and(NODES.STREAM_SESSION.eq(session)))
        .execute();
  }

  /**
   * An administrator's decision about the node: ACTIVE, DRAINING or DISABLED (the latter two
   * take no new tasks). The one place that writes {@code admin_state}. False for an unknown node.
   */
  public boolean setAdminState(UUID nodeId, NodeAdminState state) {
    OffsetDateTime now = now();
    return database.dsl().update(NODES)
        .set(NODES.ADMIN_STATE, state.name())
        .set(NODES.UPDATED_AT, now)
        .where(NODES.ID.eq(nodeId))
        .execute() == 1;
  }

  /** Whether {@code session} is still the node's stream. */
  public boolean holdsStream(UUID nodeId, UUID session) {
    return database.dsl().fetchExists(NODES, NODES.ID.eq(nodeId).and(NODES.STREAM_SESSION.eq(session)));
  }

  /**
   * Liveness: last heartbeat now; a proven node becomes HEALTHY unless it is UNHEALTHY and its
   * cool-down has not passed; an unproven node stays REGISTERED. {@code currentLoad} null keeps it.
   */
  private Optional<NodeState> recordHeartbeat(UUID nodeId, Optional<UUID> session, Double currentLoad,
      Optional<String> metadataJson) {
    OffsetDateTime now = now();
    OffsetDateTime cooledDown = Timestamps.toDb(clock.instant().minus(config.unhealthyCooldown()));
    var update = NodeStates.heartbeat(database.dsl().update(NODES)
        .set(NODES.LAST_HEARTBEAT_AT, now)
        .set(NODES.UPDATED_AT, now), cooledDown);
    if (currentLoad != null) {
      update = update.set(NODES.CURRENT_LOAD, currentLoad);
    }
    if (metadataJson.isPresent()) {
      update = update.set(NODES.METADATA,
          DSL.field("{0} || {1}", NODES.METADATA.getDataType(), NODES.METADATA, DSL.val(JSONB.jsonb(metadataJson.get()))));
    }
    Condition target = NODES.ID.eq(nodeId);
    if (session.isPresent()) {
      target = target.and(NODES.STREAM_SESSION.eq(session.get()));
    }
    Record3<String, Boolean, Boolean> row = update.where(target)
        .returningResult(NODES.STATUS, NODES.VERIFIED, NODES.ACTIVE_JOBS.lt(NODES.SLOTS))
        .fetchOne();
    return Optional.ofNullable(row)
        .map(r -> new NodeState(nodeId, NodeStatus.valueOf(r.value1()), r.value2(), r.value3()));
  }

  /**
   * {@link #recordHeartbeat} for many streams in one statement (see {@link HeartbeatBatch}):
   * the rows of nodes still held by the beat's session, by session id.
   */
  private Map<UUID, NodeState> recordStreamHeartbeats(List<HeartbeatBatch.Beat> beats) {
    OffsetDateTime now = now();
    OffsetDateTime cooledDown = Timestamps.toDb(clock.instant().minus(config.unhealthyCooldown()));
    // one statement, autocommitted; retried on a deadlock with another writer of these rows
    return transactions.singleStatement(dsl -> heartbeatAll(dsl, beats, now, cooledDown));
  }

  /**
   * The statement of {@link #recordStreamHeartbeats}. It locks the beating nodes' rows in id order
   * (an ordered locking subquery, run before the update writes a row): every statement that writes
   * several nodes takes them in that order, or two of them can deadlock ({@link NodeStates}).
   */
  static Map<UUID, NodeState> heartbeatAll(DSLContext dsl, List<HeartbeatBatch.Beat> beats, OffsetDateTime now,
      OffsetDateTime cooledDown) {
    UUID[] nodeIds = beats.stream().map(HeartbeatBatch.Beat::nodeId).toArray(UUID[]::new);
    Table<?> batch = DSL.table("unnest({0}, {1}, {2})",
            DSL.val(nodeIds, SQLDataType.UUID.array()),
            DSL.val(beats.stream().map(HeartbeatBatch.Beat::session).toArray(UUID[]::new), SQLDataType.UUID.array()),
            DSL.val(beats.stream().map(HeartbeatBatch.Beat::currentLoad).toArray(Double[]::new),
                SQLDataType.DOUBLE.array()))
        .as("beat", "node_id", "session", "current_load");
    Field<UUID> beatNode = DSL.field(DSL.name("beat", "node_id"), SQLDataType.UUID);
    Field<UUID> beatSession = DSL.field(DSL.name("beat", "session"), SQLDataType.UUID);
    Field<Double> beatLoad = DSL.field(DSL.name("beat", "current_load"), SQLDataType.DOUBLE);
    var locked = NODES.as("locked");
    var inIdOrder = DSL.select(locked.ID).from(locked).where(locked.ID.eq(DSL.any(DSL.val(nodeIds,
        SQLDataType.UUID.array())))).orderBy(locked.ID).forNoKeyUpdate();
    Map<UUID, NodeState> states = new HashMap<>();
    NodeStates.heartbeat(dsl.update(NODES)
            .set(NODES.LAST_HEARTBEAT_AT, now)
            .set(NODES.UPDATED_AT, now), cooledDown)
        .set(NODES.CURRENT_LOAD, beatLoad)
        .from(batch)
        .where(NODES.ID.eq(beatNode).and(NODES.STREAM_SESSION.eq(beatSession)).and(NODES.ID.in(inIdOrder)))
        .returningResult(NODES.ID, NODES.STREAM_SESSION, NODES.STATUS, NODES.VERIFIED, NODES.ACTIVE_JOBS.lt(NODES.SLOTS))
        .fetch()
        .forEach(row -> states.put(row.value2(), new NodeState(row.value1(), NodeStatus.valueOf(row.value3()),
            row.value4(), row.value5())));
    return states;
  }

  private static void validateLoad(double load, Reason reason) {
    if (!(load >= 0.0 && load <= 1.0)) {
      throw new DomainException(reason, "current_load must be between 0 and 1", Map.of("field", "current_load"));
    }
  }

  private static String truncate(String text, int max) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    return text.length() <= max ? text : text.substring(0, max);
  }

  private OffsetDateTime now() {
    return Timestamps.toDb(clock.instant());
  }
}
