package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record3;
import org.jooq.impl.DSL;

/**
 * Node identity and liveness: registration by Ed25519 key, proof of possession of the key
 * (a one-time challenge, consumed by the first attempt whatever its outcome), heartbeats and
 * the status they imply, and the bookkeeping of which stream holds a node.
 */
public final class NodeService {

  private static final int MAX_NAME = 255;
  private static final int MAX_SLOTS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Database database;
  /** Every transaction here may meet a deadlock or serialization failure under load: retried. */
  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final NodeTokens tokens;

  public NodeService(Database database, JobsConfig config, Clock clock, NodeTokens tokens) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.tokens = tokens;
  }

  /**
   * Registers a new key, or re-registers a known one: same node id, fresh challenge, and the
   * node is unverified (no jobs) until the holder of the private key signs that challenge.
   * A re-registration's operator takes effect only with that proof.
   */
  public RegisteredNode register(NodeRegistration registration) {
    String name = registration.name() == null ? "" : registration.name().strip();
    if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw new DomainException(Reason.VALIDATION_FAILED, "name must be 1-" + MAX_NAME + " characters",
          Map.of("field", "name"));
    }
    String rawKey = NodeKeys.rawKeyHex(registration.publicKeyPem());
    String[] capabilities = Capabilities.validate(registration.capabilities(), Reason.VALIDATION_FAILED);
    Capabilities.validateMetadata(registration.metadataJson(), Reason.VALIDATION_FAILED);
    String challenge = newChallenge();
    OffsetDateTime now = now();
    OffsetDateTime expires = Timestamps.toDb(clock.instant().plus(config.challengeTtl()));
    boolean gpu = Capabilities.hasGpu(capabilities, registration.metadataJson());
    UUID operator = registration.operatorUserId().orElse(null);
    JSONB metadata = JSONB.jsonb(registration.metadataJson());
    UUID nodeId = database.dsl().insertInto(NODES)
        .set(NODES.ID, UUID.randomUUID())
        .set(NODES.NAME, name)
        .set(NODES.PUBLIC_KEY, registration.publicKeyPem().strip())
        .set(NODES.PUBLIC_KEY_RAW, rawKey)
        .set(NODES.CAPABILITIES, capabilities)
        .set(NODES.HAS_GPU, gpu)
        .set(NODES.METADATA, metadata)
        .set(NODES.STATUS, NodeStatus.REGISTERED.name())
        .set(NODES.CHALLENGE, challenge)
        .set(NODES.CHALLENGE_EXPIRES_AT, expires)
        .set(NODES.PENDING_OPERATOR_USER_ID, operator)
        .set(NODES.CREATED_AT, now)
        .set(NODES.UPDATED_AT, now)
        .onConflict(NODES.PUBLIC_KEY_RAW).doUpdate()
        .set(NODES.NAME, name)
        .set(NODES.PUBLIC_KEY, registration.publicKeyPem().strip())
        .set(NODES.CAPABILITIES, capabilities)
        .set(NODES.HAS_GPU, gpu)
        .set(NODES.METADATA, metadata)
        .set(NODES.STATUS, NodeStatus.REGISTERED.name())
        .setNull(NODES.UNHEALTHY_SINCE)
        .set(NODES.VERIFIED, false)
        .setNull(NODES.VERIFIED_AT)
        .set(NODES.CHALLENGE, challenge)
        .set(NODES.CHALLENGE_EXPIRES_AT, expires)
        .set(NODES.PENDING_OPERATOR_USER_ID, operator)
        .set(NODES.UPDATED_AT, now)
        .returning(NODES.ID)
        .fetchSingle(NODES.ID);
    return new RegisteredNode(nodeId, challenge, tokens.issue(nodeId), NodeStatus.REGISTERED);
  }

  /**
   * Checks the signature of the pending challenge. The challenge is consumed by this attempt
   * (committed even when the signature is wrong), so neither a replay nor guessing works.
   */
  public NodeState prove(UUID nodeId, String signatureHex) {
    ProofOutcome outcome = transactions.transactionResult(cfg -> proveInTransaction(cfg.dsl(), nodeId, signatureHex));
    return switch (outcome.result()) {
      case UNKNOWN_NODE -> throw DomainException.notFound("node");
      case FAILED -> throw new DomainException(Reason.CHALLENGE_FAILED,
          "the challenge signature does not verify, or the challenge expired or was already used");
      case PROVEN -> outcome.state();
    };
  }

  /** A heartbeat over REST: records liveness and load; a proven node becomes (or stays) HEALTHY. */
  public NodeState heartbeat(UUID nodeId, double currentLoad, Optional<String> metadataJson) {
    validateLoad(currentLoad, Reason.VALIDATION_FAILED);
    metadataJson.ifPresent(json -> Capabilities.validateMetadata(json, Reason.VALIDATION_FAILED));
    return recordHeartbeat(nodeId, Optional.empty(), currentLoad, metadataJson)
        .orElseThrow(() -> DomainException.notFound("node"));
  }

  /**
   * A stream starts: the node must be proven (or prove now with the hello's signature); its
   * capabilities and slots are replaced, it counts as heartbeating, and {@code session} becomes
   * the node's stream (any older stream of the node is thereby superseded).
   */
  public NodeState openStream(UUID nodeId, UUID session, NodeHello hello) {
    if (hello.slots() < 0 || hello.slots() > MAX_SLOTS) {
      throw new DomainException(Reason.INVALID_ARGUMENT, "slots must be between 1 and " + MAX_SLOTS);
    }
    String[] newCapabilities = hello.capabilities().isEmpty()
        ? null : Capabilities.validate(hello.capabilities(), Reason.INVALID_ARGUMENT);
    boolean verified = database.dsl().select(NODES.VERIFIED).from(NODES).where(NODES.ID.eq(nodeId))
        .fetchOptional(NODES.VERIFIED)
        .orElseThrow(() -> new DomainException(Reason.UNAUTHENTICATED, "unknown node"));
    if (!verified) {
      if (hello.signature().isEmpty()) {
        throw new DomainException(Reason.NODE_NOT_VERIFIED,
            "prove possession of the node key first: sign the registration challenge (ProveNode or hello.signature)");
      }
      prove(nodeId, hello.signature().get());
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
    update.where(NODES.ID.eq(nodeId)).execute();
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

  /** Whether {@code session} is still the node's stream. */
  public boolean holdsStream(UUID nodeId, UUID session) {
    return database.dsl().fetchExists(NODES, NODES.ID.eq(nodeId).and(NODES.STREAM_SESSION.eq(session)));
  }

  private enum Proof { PROVEN, FAILED, UNKNOWN_NODE }

  private record ProofOutcome(Proof result, NodeState state) {
  }

  private ProofOutcome proveInTransaction(DSLContext tx, UUID nodeId, String signatureHex) {
    NodesRecord node = tx.selectFrom(NODES).where(NODES.ID.eq(nodeId)).forUpdate().fetchOne();
    if (node == null) {
      return new ProofOutcome(Proof.UNKNOWN_NODE, null);
    }
    String challenge = node.getChallenge();
    if (challenge == null) {
      return new ProofOutcome(Proof.FAILED, null);
    }
    Instant now = clock.instant();
    boolean fresh = now.isBefore(node.getChallengeExpiresAt().toInstant());
    boolean valid = fresh && NodeKeys.verifies(node.getPublicKeyRaw(), challenge, signatureHex);
    node.setChallenge(null);
    node.setChallengeExpiresAt(null);
    node.setUpdatedAt(Timestamps.toDb(now));
    if (valid) {
      node.setVerified(true);
      node.setVerifiedAt(Timestamps.toDb(now));
      if (node.getPendingOperatorUserId() != null) {
        node.setOperatorUserId(node.getPendingOperatorUserId());
      }
      node.setPendingOperatorUserId(null);
    }
    node.update();
    return valid
        ? new ProofOutcome(Proof.PROVEN, new NodeState(nodeId, NodeStatus.valueOf(node.getStatus()), true,
            node.getActiveJobs() < node.getSlots()))
        : new ProofOutcome(Proof.FAILED, null);
  }

  /**
   * Liveness: last heartbeat now; a proven node becomes HEALTHY unless it is UNHEALTHY and its
   * cool-down has not passed; an unproven node stays REGISTERED. {@code currentLoad} null keeps it.
   */
  private Optional<NodeState> recordHeartbeat(UUID nodeId, Optional<UUID> session, Double currentLoad,
      Optional<String> metadataJson) {
    OffsetDateTime now = now();
    OffsetDateTime cooledDown = Timestamps.toDb(clock.instant().minus(config.unhealthyCooldown()));
    Condition stillCoolingDown = NODES.STATUS.eq(NodeStatus.UNHEALTHY.name()).and(NODES.UNHEALTHY_SINCE.gt(cooledDown));
    Condition recovers = NODES.STATUS.eq(NodeStatus.UNHEALTHY.name()).and(NODES.UNHEALTHY_SINCE.le(cooledDown));
    Field<String> status = DSL.when(NODES.VERIFIED.isFalse(), DSL.inline(NodeStatus.REGISTERED.name()))
        .when(stillCoolingDown, NODES.STATUS)
        .otherwise(DSL.inline(NodeStatus.HEALTHY.name()));
    var update = database.dsl().update(NODES)
        .set(NODES.LAST_HEARTBEAT_AT, now)
        .set(NODES.UPDATED_AT, now)
        .set(NODES.STATUS, status)
        .set(NODES.UNHEALTHY_SINCE, DSL.when(NODES.VERIFIED.isTrue().and(stillCoolingDown), NODES.UNHEALTHY_SINCE)
            .otherwise(DSL.inline((OffsetDateTime) null)))
        .set(NODES.CONSECUTIVE_FAILURES, DSL.when(recovers, DSL.inline(0)).otherwise(NODES.CONSECUTIVE_FAILURES));
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

  private static void validateLoad(double load, Reason reason) {
    if (!(load >= 0.0 && load <= 1.0)) {
      throw new DomainException(reason, "current_load must be between 0 and 1", Map.of("field", "current_load"));
    }
  }

  private static String newChallenge() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
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
