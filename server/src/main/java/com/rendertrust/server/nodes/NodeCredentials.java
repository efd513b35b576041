package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;
import static com.rendertrust.server.db.Tables.NODE_REGISTRATIONS;

import com.rendertrust.server.db.tables.records.NodeRegistrationsRecord;
import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record3;
import org.jooq.impl.DSL;

/**
 * Who may act as a node (docs/security.md, "Node identity"). Every registration is a row of its
 * own: the key it was made for, a one-time challenge, and the node's details as it states them.
 * Its node token names the registration and the key. Until the challenge is signed with that key
 * the registration changes nothing on the node and its token is good for the proof only
 * (ProveNode, or a Connect whose Hello carries the signature); afterwards the token works for
 * heartbeats and streams for as long as that key is the node's. So a public key, which anybody
 * may know, yields no credential.
 */
final class NodeCredentials {

  private static final int MAX_NAME = 255;
  /**
   * A node token lives 24 h (plus 60 s of clock skew): an older registration names no usable
   * token, so it is deleted when its node registers again.
   */
  private static final Duration KEPT = Duration.ofHours(25);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a node token may do now. */
  enum Standing {
    /** Its challenge was signed with its key, which is still the node's: heartbeats and streams accept it. */
    PROVEN,
    /** Its challenge is not signed yet: good for the proof only. */
    UNPROVEN
  }

  private final Database database;
  /** Every transaction here may meet a deadlock or serialization failure under load: retried. */
  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final NodeTokens tokens;

  NodeCredentials(Database database, JobsConfig config, Clock clock, NodeTokens tokens) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.tokens = tokens;
  }

  /**
   * Registers a new key (a new node, unproven) or re-registers a known one (same node id). Either
   * way the answer is a fresh challenge and a token that is good for the proof only; an existing
   * node is not touched (status, name, capabilities, metadata, operator and stream stay) until
   * the holder of the private key signs this registration's challenge.
   *
   * <p>With {@code node}, the node's own proven token, the registration is for that node
   * whatever key it names: a new key moves the node to it once the new key signs the challenge
   * (tokens of the old key are refused from then on). TOKEN_INVALID unless the token is proven;
   * 422 when the key is another node's.
   */
  RegisteredNode register(NodeRegistration registration, Optional<NodeToken> node) {
    String name = registration.name() == null ? "" : registration.name().strip();
    if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw new DomainException(Reason.VALIDATION_FAILED, "name must be 1-" + MAX_NAME + " characters",
          Map.of("field", "name"));
    }
    String rawKey = NodeKeys.rawKeyHex(registration.publicKeyPem());
    String pem = registration.publicKeyPem().strip();
    String[] capabilities = Capabilities.validate(registration.capabilities(), Reason.VALIDATION_FAILED);
    Capabilities.validateMetadata(registration.metadataJson(), Reason.VALIDATION_FAILED);
    node.ifPresent(this::requireProven);
    JSONB metadata = JSONB.jsonb(registration.metadataJson());
    String challenge = newChallenge();
    UUID registrationId = UUID.randomUUID();
    UUID nodeId = transactions.inTransaction(tx -> {
      OffsetDateTime now = now();
      UUID target = node.isPresent() ? keyOwner(tx, rawKey, node.get().nodeId()) : tx.insertInto(NODES)
          .set(NODES.ID, UUID.randomUUID())
          .set(NODES.NAME, name)
          .set(NODES.PUBLIC_KEY, pem)
          .set(NODES.PUBLIC_KEY_RAW, rawKey)
          .set(NODES.CAPABILITIES, capabilities)
          .set(NODES.HAS_GPU, Capabilities.hasGpu(capabilities, registration.metadataJson()))
          .set(NODES.METADATA, metadata)
          .set(NODES.STATUS, NodeStatus.REGISTERED.name())
          .set(NODES.CREATED_AT, now)
          .set(NODES.UPDATED_AT, now)
          .onConflict(NODES.PUBLIC_KEY_RAW).doNothing()
          .returning(NODES.ID)
          .fetchOptional(NODES.ID)
          .orElseGet(() -> tx.select(NODES.ID).from(NODES).where(NODES.PUBLIC_KEY_RAW.eq(rawKey)).fetchSingle(NODES.ID));
      tx.insertInto(NODE_REGISTRATIONS)
          .set(NODE_REGISTRATIONS.ID, registrationId)
          .set(NODE_REGISTRATIONS.NODE_ID, target)
          .set(NODE_REGISTRATIONS.PUBLIC_KEY, pem)
          .set(NODE_REGISTRATIONS.PUBLIC_KEY_RAW, rawKey)
          .set(NODE_REGISTRATIONS.NAME, name)
          .set(NODE_REGISTRATIONS.CAPABILITIES, capabilities)
          .set(NODE_REGISTRATIONS.METADATA, metadata)
          .set(NODE_REGISTRATIONS.OPERATOR_USER_ID, registration.operatorUserId().orElse(null))
          .set(NODE_REGISTRATIONS.CHALLENGE, challenge)
          .set(NODE_REGISTRATIONS.CHALLENGE_EXPIRES_AT, Timestamps.toDb(clock.instant().plus(config.challengeTtl())))
          .set(NODE_REGISTRATIONS.CREATED_AT, now)
          .execute();
      forgetDeadRegistrations(tx, target, now);
      return target;
    });
    NodeToken claims = new NodeToken(nodeId, registrationId, NodeKeys.thumbprint(rawKey));
    return new RegisteredNode(nodeId, challenge, tokens.issue(claims), claims, NodeStatus.REGISTERED);
  }

  /**
   * Where {@code token} stands. TOKEN_INVALID (401) when its registration is unknown (or not the
   * node's), or when the node has proven another key since the token was issued for its key.
   */
  Standing standing(NodeToken token) {
    Record3<String, String, OffsetDateTime> row = database.dsl()
        .select(NODES.PUBLIC_KEY_RAW, NODE_REGISTRATIONS.PUBLIC_KEY_RAW, NODE_REGISTRATIONS.PROVEN_AT)
        .from(NODE_REGISTRATIONS).join(NODES).on(NODES.ID.eq(NODE_REGISTRATIONS.NODE_ID))
        .where(NODE_REGISTRATIONS.ID.eq(token.registrationId()).and(NODE_REGISTRATIONS.NODE_ID.eq(token.nodeId())))
        .fetchOne();
    if (row == null || !NodeKeys.thumbprint(row.value2()).equals(token.keyThumbprint())) {
      throw new DomainException(Reason.TOKEN_INVALID, "this node token is unknown or expired; register again");
    }
    if (row.value3() == null) {
      return Standing.UNPROVEN;
    }
    if (!row.value1().equals(row.value2())) {
      throw new DomainException(Reason.TOKEN_INVALID,
          "this node token was issued for a key the node no longer has; register with the node's key");
    }
    return Standing.PROVEN;
  }

  /**
   * True for the row of {@code token}'s node while the token is proven and its key is the
   * node's: a guard for updates that must not race with the node moving to another key.
   */
  static Condition stillProven(NodeToken token) {
    return NODES.ID.eq(token.nodeId()).and(NODES.PUBLIC_KEY_RAW.eq(DSL.select(NODE_REGISTRATIONS.PUBLIC_KEY_RAW)
        .from(NODE_REGISTRATIONS)
        .where(NODE_REGISTRATIONS.ID.eq(token.registrationId()).and(NODE_REGISTRATIONS.PROVEN_AT.isNotNull()))));
  }

  /** TOKEN_INVALID (401) unless {@code token} is {@link Standing#PROVEN}. */
  void requireProven(NodeToken token) {
    if (standing(token) != Standing.PROVEN) {
      throw new DomainException(Reason.TOKEN_INVALID,
          "this node token is good for the key proof only: sign its registration challenge first (ProveNode or hello.signature)");
    }
  }

  /**
   * Checks the signature of the challenge of {@code token}'s registration. The challenge is
   * consumed by this attempt (committed even when the signature is wrong), so neither a replay
   * nor guessing works. A valid proof makes the registration's token usable and applies the
   * registration to the node: it is verified, takes the registration's key, name, capabilities
   * and metadata, and the registration's operator if one was named. Its status and stream stay.
   */
  NodeState prove(NodeToken token, String signatureHex) {
    Optional<NodeState> proven = transactions.inTransaction(tx -> proveInTransaction(tx, token, signatureHex));
    return proven.orElseThrow(() -> new DomainException(Reason.CHALLENGE_FAILED,
        "the challenge signature does not verify, or the challenge expired or was already used"));
  }

  private Optional<NodeState> proveInTransaction(DSLContext tx, NodeToken token, String signatureHex) {
    NodesRecord node = tx.selectFrom(NODES).where(NODES.ID.eq(token.nodeId())).forUpdate().fetchOne();
    NodeRegistrationsRecord registration = tx.selectFrom(NODE_REGISTRATIONS)
        .where(NODE_REGISTRATIONS.ID.eq(token.registrationId()).and(NODE_REGISTRATIONS.NODE_ID.eq(token.nodeId())))
        .forUpdate().fetchOne();
    if (node == null || registration == null || registration.getChallenge() == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    boolean valid = now.isBefore(registration.getChallengeExpiresAt().toInstant())
        && NodeKeys.thumbprint(registration.getPublicKeyRaw()).equals(token.keyThumbprint())
        && NodeKeys.verifies(registration.getPublicKeyRaw(), registration.getChallenge(), signatureHex);
    registration.setChallenge(null);
    if (!valid) {
      registration.update();
      return Optional.empty();
    }
    boolean newKey = !registration.getPublicKeyRaw().equals(node.getPublicKeyRaw());
    if (newKey && tx.fetchExists(NODES, NODES.PUBLIC_KEY_RAW.eq(registration.getPublicKeyRaw()))) {
      registration.update(); // the key went to another node since this registration: never usable
      return Optional.empty();
    }
    registration.setProvenAt(Timestamps.toDb(now));
    registration.update();
    if (newKey) {
      // The stream was opened with a token of the old key: it ends at its next heartbeat, and
      // the node receives jobs again over a stream opened with a token of the new key.
      node.setStreamSession(null);
    }
    String metadata = registration.getMetadata().data();
    node.setPublicKey(registration.getPublicKey());
    node.setPublicKeyRaw(registration.getPublicKeyRaw());
    node.setName(registration.getName());
    node.setCapabilities(registration.getCapabilities());
    node.setHasGpu(Capabilities.hasGpu(registration.getCapabilities(), metadata));
    node.setMetadata(registration.getMetadata());
    if (registration.getOperatorUserId() != null) {
      node.setOperatorUserId(registration.getOperatorUserId());
    }
    node.setVerified(true);
    node.setVerifiedAt(Timestamps.toDb(now));
    node.setUpdatedAt(Timestamps.toDb(now));
    node.update();
    return Optional.of(new NodeState(node.getId(), NodeStatus.valueOf(node.getStatus()), true,
        node.getActiveJobs() < node.getSlots()));
  }

  /** {@code nodeId}, the node registering itself with {@code rawKey}: 422 when the key is another node's. */
  private static UUID keyOwner(DSLContext tx, String rawKey, UUID nodeId) {
    Optional<UUID> owner = tx.select(NODES.ID).from(NODES).where(NODES.PUBLIC_KEY_RAW.eq(rawKey)).fetchOptional(NODES.ID);
    if (owner.isPresent() && !owner.get().equals(nodeId)) {
      throw new DomainException(Reason.VALIDATION_FAILED, "public_key is registered to another node",
          Map.of("field", "public_key"));
    }
    return nodeId;
  }

  /**
   * Registrations whose token can never work again: older than a token lives, or unproven with
   * a challenge that is used up or expired. Keeps a node's registrations few, however often
   * somebody registers its public key.
   */
  private void forgetDeadRegistrations(DSLContext tx, UUID nodeId, OffsetDateTime now) {
    tx.deleteFrom(NODE_REGISTRATIONS)
        .where(NODE_REGISTRATIONS.NODE_ID.eq(nodeId))
        .and(NODE_REGISTRATIONS.CREATED_AT.lt(Timestamps.toDb(clock.instant().minus(KEPT)))
            .or(NODE_REGISTRATIONS.PROVEN_AT.isNull().and(NODE_REGISTRATIONS.CHALLENGE.isNull()
                .or(NODE_REGISTRATIONS.CHALLENGE_EXPIRES_AT.le(now)))))
        .execute();
  }

  private static String newChallenge() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private OffsetDateTime now() {
    return Timestamps.toDb(clock.instant());
  }
}
