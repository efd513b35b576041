package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.RolledBack;
import com.rendertrust.server.testing.TestInfrastructure;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two claims of slots agree: {@code nodes_claim_for_type} (migration V24: submission batches
 * and {@link NodeStates#claimFor}) spells the eligibility of a node and the ranking of its free
 * slots in SQL, and {@link NodeStates#claim} renders them from {@link NodeStates#eligibleIgnoringSlots}
 * and its own statement. Over a fleet in which each node misses exactly one condition, both claim
 * the same slots in the same order, and those are the slots of the nodes that miss none.
 */
class NodeEligibilityTwinsTest {

  private static Database database;
  private static final List<UUID> nodes = new ArrayList<>();

  @BeforeAll
  static void fleet() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    nodes.addAll(ReadyNodes.register(database, "twin-", 12));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    update(0, Map.of(NODES.SLOTS, 2, NODES.HAS_GPU, true)); // ready, with a GPU
    update(1, Map.of(NODES.SLOTS, 3, NODES.CURRENT_LOAD, 0.5)); // ready, busier by its own report
    update(2, Map.of(NODES.STATUS, NodeStatus.UNHEALTHY.name(), NODES.UNHEALTHY_SINCE, now));
    update(3, Map.of(NODES.STATUS, NodeStatus.OFFLINE.name()));
    update(4, Map.of(NODES.STATUS, NodeStatus.REGISTERED.name()));
    update(5, Map.of(NODES.VERIFIED, false, NODES.VERIFIED_AT, DSL.inline((OffsetDateTime) null)));
    update(6, Map.of(NODES.ADMIN_STATE, NodeAdminState.DRAINING.name()));
    update(7, Map.of(NODES.ADMIN_STATE, NodeAdminState.DISABLED.name()));
    update(8, Map.of(NODES.STREAM_SESSION, DSL.inline((UUID) null)));
    update(9, Map.of(NODES.CAPABILITIES, new String[] {"render"}));
    update(10, Map.of(NODES.SLOTS, 2, NODES.ACTIVE_JOBS, 2)); // full
    update(11, Map.of(NODES.SLOTS, 4, NODES.ACTIVE_JOBS, 1, NODES.HAS_GPU, true)); // ready, one slot taken
    assertThat(database.dsl().fetchCount(NODES)).isEqualTo(12);
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @Test
  void bothClaimsTakeTheSameSlotsInTheSameOrderFromTheNodesThatMissNoCondition() {
    List<UUID> bySql = claimedAndRolledBack(tx -> NodeStates.claimFor(tx, "echo", false, 100));
    List<UUID> byJava = claimedAndRolledBack(tx -> NodeStates.claim(tx,
        NodeStates.eligibleIgnoringSlots("echo", false), DSL.trueCondition(), 100));

    assertThat(bySql).isEqualTo(byJava);
    // each free slot ranked by its node's share of busy slots before taking it, then by the node's
    // reported load, then by id: 0 and 1 at 0 (1 reports more load), 11 at 1/4, 1 at 1/3, 0 and 11
    // at 1/2 (the same load: by id, as PostgreSQL orders uuids, byte by byte), 1 at 2/3, 11 at 3/4
    boolean zeroFirst = node(0).toString().compareTo(node(11).toString()) < 0;
    assertThat(bySql).containsExactly(node(0), node(1), node(11), node(1), zeroFirst ? node(0) : node(11),
        zeroFirst ? node(11) : node(0), node(1), node(11));
  }

  @Test
  void aGpuTaskGoesOnlyToTheNodesWithAGpuInBothClaims() {
    List<UUID> bySql = claimedAndRolledBack(tx -> NodeStates.claimFor(tx, "echo", true, 100));
    List<UUID> byJava = claimedAndRolledBack(tx -> NodeStates.claim(tx,
        NodeStates.eligibleIgnoringSlots("echo", true), DSL.trueCondition(), 100));

    assertThat(bySql).isEqualTo(byJava).containsExactlyInAnyOrder(node(0), node(0), node(11), node(11), node(11));
  }

  @Test
  void aTypeGoesOnlyToTheReadyNodesThatOfferItInBothClaims() {
    // 9 offers render alone; 2 (unhealthy) and 6 (draining) offer it too, but are not ready
    update(2, Map.of(NODES.CAPABILITIES, new String[] {"echo", "render"}));
    update(6, Map.of(NODES.CAPABILITIES, new String[] {"echo", "render"}));
    for (String type : List.of("render", "blender")) {
      List<UUID> bySql = claimedAndRolledBack(tx -> NodeStates.claimFor(tx, type, false, 100));
      List<UUID> byJava = claimedAndRolledBack(tx -> NodeStates.claim(tx, NodeStates.eligibleIgnoringSlots(type, false),
          DSL.trueCondition(), 100));
      assertThat(bySql).as(type).isEqualTo(byJava).isEqualTo(type.equals("render") ? List.of(node(9)) : List.of());
    }
  }

  private static UUID node(int index) {
    return nodes.get(index);
  }

  /** What {@code claim} took, in a transaction rolled back afterwards (so every test sees the same fleet). */
  private static List<UUID> claimedAndRolledBack(Function<DSLContext, List<UUID>> claim) {
    return RolledBack.answer(database.dsl(), claim);
  }

  /** Sets columns of one node's row, in one statement (some constraints span two columns). */
  private static void update(int index, Map<org.jooq.Field<?>, Object> values) {
    database.dsl().update(NODES).set(values).where(NODES.ID.eq(nodes.get(index))).execute();
  }
}
