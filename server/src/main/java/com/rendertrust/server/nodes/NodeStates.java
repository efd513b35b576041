package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.Nodes;
import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.platform.db.PreparedSql;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.UpdateSetMoreStep;
import org.jooq.impl.DSL;

/**
 * The one writer of a node's state: its {@link NodeStatus} and its busy slots ({@code
 * nodes.status}, {@code active_jobs}, {@code consecutive_failures}, {@code unhealthy_since}).
 * Every slot claim, release, trip to UNHEALTHY, recovery and OFFLINE mark goes through here.
 * Each method runs within the caller's transaction and is one set-based statement (a claim of
 * several slots retries only when another replica filled a node in between), so the jobs feature
 * changes tasks and the slots they hold in one commit.
 *
 * <p>PostgreSQL is the only source of truth, so any replica may claim: a claim is a conditional
 * {@code UPDATE nodes SET active_jobs = active_jobs + n ... WHERE active_jobs + n <= slots}, which
 * re-checks eligibility on the row it locks, so two replicas never overfill a node.
 */
public final class NodeStates {

  private static final int CLAIM_ATTEMPTS = 5;

  private NodeStates() {
  }

  /** How a task left its node, which decides what its slot's release says about the node. */
  public enum Release {
    /** Completed: the node's failure streak resets. */
    SUCCESS,
    /** The node failed it: the streak grows, and at the threshold a HEALTHY node trips to UNHEALTHY. */
    FAILURE,
    /** Lost connection, cancel, undeliverable: says nothing about the node's ability to run tasks. */
    NEUTRAL
  }

  // ---- eligibility (reads) ----

  /** HEALTHY, key proven, stream open, not drained or disabled by an administrator: may take tasks (of its types). */
  public static Condition ready() {
    return ready(NODES);
  }

  private static Condition ready(Nodes nodes) {
    return healthyAndActive(nodes).and(nodes.STREAM_SESSION.isNotNull());
  }

  /** HEALTHY, key proven, not drained or disabled: {@link #ready()} but for the open stream. */
  private static Condition healthyAndActive(Nodes nodes) {
    return nodes.STATUS.eq(NodeStatus.HEALTHY.name()).and(nodes.VERIFIED.isTrue())
        .and(nodes.ADMIN_STATE.eq(NodeAdminState.ACTIVE.name()));
  }

  /** Eligible for a task of the type, free slots aside (each claim checks those for its count). */
  public static Condition eligibleIgnoringSlots(String jobType, boolean gpuRequired) {
    Condition condition = ready().and(offers(jobType));
    return gpuRequired ? condition.and(NODES.HAS_GPU.isTrue()) : condition;
  }

  /** True when a HEALTHY, verified, active node advertises the job type (busy or not, connected or not). */
  public static boolean anyHealthyFor(DSLContext tx, String jobType, boolean gpuRequired) {
    return !ANY_HEALTHY_FOR.fetch(tx, row -> true, jobType, gpuRequired).isEmpty(); // every submission: written once
  }

  /** Parameters: the job type, whether it needs a GPU; a node of {@code nodes} offers that. */
  private static final String OFFERS_TYPE =
      " AND CAST(? AS varchar) = ANY(nodes.capabilities) AND (nodes.has_gpu OR NOT CAST(? AS boolean))";

  private static final PreparedSql ANY_HEALTHY_FOR = new PreparedSql("SELECT 1 FROM nodes WHERE "
      + DSL.using(SQLDialect.POSTGRES).renderInlined(healthyAndActive(NODES)) + OFFERS_TYPE + " LIMIT 1");

  /** What {@code nodeId} can take from the queue right now, read within {@code tx}. */
  public static NodeCapacity capacity(DSLContext tx, UUID nodeId) {
    return tx.select(capacityFields()).from(NODES).where(NODES.ID.eq(nodeId))
        .fetchOptional()
        .map(NodeStates::capacityOf)
        .orElse(NodeCapacity.NONE);
  }

  // ---- slots ----

  /**
   * Within {@code tx}: up to {@code count} slots on nodes matching {@code eligible} (which must
   * not test free slots itself) and {@code pick}, in the order tasks should take them. A node
   * filled concurrently between the pick and the claim is skipped and the rest picked again.
   *
   * <p>Slots go to the least-loaded nodes first, one slot at a time: every free slot is ranked by
   * the load its node would have before taking it (active per slot, then reported load, then id),
   * and the best {@code count} are taken. So the tasks of one job spread over the fleet.
   */
  public static List<UUID> claim(DSLContext tx, Condition eligible, Condition pick, int count) {
    return claimWith(count, wanted -> tx.fetch(CLAIM_SLOTS.formatted("{0} AND {1}", "{0}", "{2}"),
        eligible, pick, DSL.val(wanted)).map(slot -> new Slot(slot.get(0, UUID.class),
        Boolean.TRUE.equals(slot.get(1, Boolean.class)))));
  }

  /**
   * {@link #claim} of slots on nodes eligible for {@code jobType} ({@link #eligibleIgnoringSlots}),
   * without another condition, in one call: {@code nodes_claim_for_type} (migration V24) runs the
   * rounds of {@link #CLAIM_SLOTS} with that eligibility, so submission batches can claim from SQL too.
   */
  public static List<UUID> claimFor(DSLContext tx, String jobType, boolean gpuRequired, int count) {
    return CLAIM_FOR_TYPE.fetch(tx, row -> PreparedSql.uuid(row, 1), jobType, gpuRequired, count);
  }

  private record Slot(UUID node, boolean got) {
  }

  /** Up to {@code count} slots, claimed in rounds by {@code claimRound} (which gets how many are still wanted). */
  private static List<UUID> claimWith(int count, java.util.function.IntFunction<List<Slot>> claimRound) {
    List<UUID> claimed = new ArrayList<>();
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS && claimed.size() < count; attempt++) {
      List<Slot> slots = claimRound.apply(count - claimed.size());
      if (slots.isEmpty()) {
        break;
      }
      for (Slot slot : slots) {
        if (slot.got()) {
          claimed.add(slot.node());
        }
      }
    }
    return claimed;
  }

  /**
   * The claim: %1$s picks the candidate nodes, %2$s re-checks a node's eligibility on the row it
   * locks, %3$s is how many slots are wanted. The rows are locked in id order before they are
   * updated ({@code locked}), as the batched release does too: an update
   * joined to a set takes its rows in the join's order, and two such orders deadlocked (a
   * submission batch's claim against a completion batch's release; each deadlock cost the
   * survivor PostgreSQL's one-second deadlock_timeout).
   */
  private static final String CLAIM_SLOTS = """
      WITH candidate AS (
        SELECT id, slots, active_jobs, current_load FROM nodes WHERE %1$s AND active_jobs < slots),
      ranked AS (
        SELECT c.id, row_number() OVER (ORDER BY s::float8 / c.slots, c.current_load, c.id) AS rank
          FROM candidate c, generate_series(c.active_jobs, c.slots - 1) AS s
         ORDER BY rank LIMIT %3$s),
      wanted AS (SELECT id, count(*)::int AS take FROM ranked GROUP BY id),
      locked AS (
        SELECT nodes.id FROM nodes WHERE nodes.id IN (SELECT id FROM wanted) ORDER BY nodes.id FOR NO KEY UPDATE),
      claimed AS (
        UPDATE nodes SET active_jobs = nodes.active_jobs + wanted.take FROM wanted JOIN locked ON locked.id = wanted.id
         WHERE nodes.id = wanted.id AND nodes.active_jobs + wanted.take <= nodes.slots AND %2$s
        RETURNING nodes.id)
      SELECT ranked.id, claimed.id IS NOT NULL AS got
        FROM ranked LEFT JOIN claimed ON claimed.id = ranked.id
       ORDER BY ranked.rank""";

  private static final PreparedSql CLAIM_FOR_TYPE = new PreparedSql(
      "SELECT node_id FROM nodes_claim_for_type(CAST(? AS varchar), CAST(? AS boolean), CAST(? AS int))");

  /**
   * Within {@code tx}: how many slots are free on {@link #ready()} nodes right now, the most a
   * queue pass can place (it locks no more queued tasks than that).
   */
  public static int freeSlots(DSLContext tx) {
    return FREE_SLOTS.fetch(tx, row -> row.getInt(1)).get(0);
  }

  private static final PreparedSql FREE_SLOTS = new PreparedSql(
      "SELECT COALESCE(sum(slots - active_jobs), 0)::int FROM nodes WHERE " + readySql("nodes") + " AND active_jobs < slots");

  /**
   * {@link #ready()} as plain SQL on {@code nodes} aliased {@code alias}, for statements written
   * once, e.g. {@code EXISTS (SELECT 1 FROM nodes alias WHERE ...)}.
   */
  public static String readySql(String alias) {
    return DSL.using(SQLDialect.POSTGRES).renderInlined(ready(NODES.as(alias)));
  }

  /** Within {@code tx}: {@code count} slots on one {@link #ready()} node, all or none. */
  public static boolean claimOn(DSLContext tx, UUID nodeId, int count) {
    return tx.update(NODES)
        .set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.plus(count))
        .where(NODES.ID.eq(nodeId).and(ready()).and(NODES.ACTIVE_JOBS.plus(count).le(NODES.SLOTS)))
        .execute() == 1;
  }

  /**
   * Within {@code tx}: frees one slot of {@code nodeId}; a {@link Release#FAILURE} may trip the
   * node to UNHEALTHY (at {@code unhealthyAfterFailures} consecutive failures, cool-down from
   * {@code now}), a {@link Release#SUCCESS} resets the streak.
   */
  public static void release(DSLContext tx, UUID nodeId, Release release, int unhealthyAfterFailures,
      OffsetDateTime now) {
    if (release != Release.FAILURE) { // every task's end: rendered once (PreparedSql)
      (release == Release.SUCCESS ? RELEASE_SUCCEEDED : RELEASE_NEUTRAL).execute(tx, nodeId);
      return;
    }
    var update = tx.update(NODES).set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.minus(1));
    switch (release) {
      case SUCCESS -> update = update.set(NODES.CONSECUTIVE_FAILURES, 0);
      case FAILURE -> {
        var trips = NODES.STATUS.eq(NodeStatus.HEALTHY.name())
            .and(NODES.CONSECUTIVE_FAILURES.plus(1).ge(unhealthyAfterFailures));
        update = update
            .set(NODES.CONSECUTIVE_FAILURES, NODES.CONSECUTIVE_FAILURES.plus(1))
            .set(NODES.STATUS, DSL.when(trips, DSL.inline(NodeStatus.UNHEALTHY.name())).otherwise(NODES.STATUS))
            .set(NODES.UNHEALTHY_SINCE, DSL.when(trips, DSL.val(now)).otherwise(NODES.UNHEALTHY_SINCE));
      }
      case NEUTRAL -> {
        // a lost connection says nothing about the node's ability to run tasks
      }
    }
    update.where(NODES.ID.eq(nodeId)).execute();
  }

  private static final PreparedSql RELEASE_SUCCEEDED = new PreparedSql(
      "UPDATE nodes SET active_jobs = active_jobs - 1, consecutive_failures = 0 WHERE id = ?");
  private static final PreparedSql RELEASE_NEUTRAL = new PreparedSql(
      "UPDATE nodes SET active_jobs = active_jobs - 1 WHERE id = ?");

  /**
   * Within {@code tx}: {@link #release} with {@link Release#SUCCESS} of the given number of slots
   * on each node, in one statement.
   */
  public static void releaseSucceeded(DSLContext tx, Map<UUID, Integer> slotsByNode) {
    if (slotsByNode.isEmpty()) {
      return;
    }
    UUID[] nodes = slotsByNode.keySet().toArray(UUID[]::new);
    Integer[] slots = Arrays.stream(nodes).map(slotsByNode::get).toArray(Integer[]::new);
    RELEASE_ALL_SUCCEEDED.execute(tx, nodes, slots);
  }

  /** The rows locked in id order first, like the claim's ({@link #CLAIM_SLOTS}). */
  private static final PreparedSql RELEASE_ALL_SUCCEEDED = new PreparedSql("""
      WITH freed AS (SELECT * FROM unnest(CAST(? AS uuid[]), CAST(? AS int[])) AS f (id, slots)),
      locked AS (SELECT nodes.id FROM nodes WHERE nodes.id IN (SELECT id FROM freed) ORDER BY nodes.id FOR NO KEY UPDATE)
      UPDATE nodes SET active_jobs = nodes.active_jobs - freed.slots, consecutive_failures = 0
        FROM freed JOIN locked ON locked.id = freed.id
       WHERE nodes.id = freed.id""");

  /** Within {@code tx}: frees the given number of slots on each node (e.g. a job's tasks cancelled at once), in id order. */
  public static void releaseAll(DSLContext tx, Map<UUID, Integer> slotsByNode) {
    // PostgreSQL orders uuids by their bytes, as their text sorts (UUID.compareTo compares signed halves)
    java.util.Map<UUID, Integer> inIdOrder = new java.util.TreeMap<>(java.util.Comparator.comparing(UUID::toString));
    inIdOrder.putAll(slotsByNode);
    inIdOrder.forEach((node, slots) -> tx.update(NODES)
        .set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.minus(slots)).where(NODES.ID.eq(node)).execute());
  }

  // ---- liveness ----

  /**
   * Within {@code tx}: every node without a heartbeat since {@code cutoff} becomes OFFLINE. A
   * stream still marked open by then belongs to a replica that died without closing it, so the
   * mark is cleared too. Returns how many nodes it marked.
   */
  public static int markOffline(DSLContext tx, OffsetDateTime cutoff, OffsetDateTime now) {
    return tx.update(NODES)
        .set(NODES.STATUS, NodeStatus.OFFLINE.name())
        .setNull(NODES.UNHEALTHY_SINCE)
        .setNull(NODES.STREAM_SESSION)
        .set(NODES.DISCONNECTED_AT, DSL.coalesce(NODES.DISCONNECTED_AT, DSL.val(cutoff)))
        .set(NODES.UPDATED_AT, now)
        .where(NODES.STATUS.ne(NodeStatus.OFFLINE.name()).and(NODES.LAST_HEARTBEAT_AT.le(cutoff)))
        .execute();
  }

  /**
   * Adds a heartbeat's status change to {@code update} (of the node's row): a proven node becomes
   * HEALTHY (an UNHEALTHY one recovers, with its streak reset, once {@code cooledDown} passed its
   * trip; before that it stays UNHEALTHY); an unproven node stays REGISTERED.
   */
  static UpdateSetMoreStep<NodesRecord> heartbeat(UpdateSetMoreStep<NodesRecord> update, OffsetDateTime cooledDown) {
    Condition stillCoolingDown = NODES.STATUS.eq(NodeStatus.UNHEALTHY.name()).and(NODES.UNHEALTHY_SINCE.gt(cooledDown));
    Condition recovers = NODES.STATUS.eq(NodeStatus.UNHEALTHY.name()).and(NODES.UNHEALTHY_SINCE.le(cooledDown));
    Field<String> status = DSL.when(NODES.VERIFIED.isFalse(), DSL.inline(NodeStatus.REGISTERED.name()))
        .when(stillCoolingDown, NODES.STATUS)
        .otherwise(DSL.inline(NodeStatus.HEALTHY.name()));
    return update
        .set(NODES.STATUS, status)
        .set(NODES.UNHEALTHY_SINCE, DSL.when(NODES.VERIFIED.isTrue().and(stillCoolingDown), NODES.UNHEALTHY_SINCE)
            .otherwise(DSL.inline((OffsetDateTime) null)))
        .set(NODES.CONSECUTIVE_FAILURES, DSL.when(recovers, DSL.inline(0)).otherwise(NODES.CONSECUTIVE_FAILURES));
  }

  // ---- helpers ----

  private static List<Field<?>> capacityFields() {
    return List.of(NODES.STATUS, NODES.VERIFIED, NODES.STREAM_SESSION, NODES.SLOTS, NODES.ACTIVE_JOBS,
        NODES.CAPABILITIES, NODES.HAS_GPU, NODES.ADMIN_STATE);
  }

  /** A drained or disabled node, one not HEALTHY, unproven or without a stream takes nothing. */
  private static NodeCapacity capacityOf(Record node) {
    boolean eligible = NodeStatus.HEALTHY.name().equals(node.get(NODES.STATUS))
        && Boolean.TRUE.equals(node.get(NODES.VERIFIED))
        && node.get(NODES.STREAM_SESSION) != null
        && NodeAdminState.ACTIVE.name().equals(node.get(NODES.ADMIN_STATE));
    String[] capabilities = node.get(NODES.CAPABILITIES);
    if (!eligible || capabilities == null || capabilities.length == 0) {
      return NodeCapacity.NONE;
    }
    int free = Math.max(0, node.get(NODES.SLOTS) - node.get(NODES.ACTIVE_JOBS));
    return new NodeCapacity(Arrays.asList(capabilities), Boolean.TRUE.equals(node.get(NODES.HAS_GPU)), free);
  }

  private static Condition offers(String jobType) {
    return DSL.val(jobType).eq(DSL.any(NODES.CAPABILITIES));
  }
}
