package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.NODES;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * Claims node slots for tasks, several per statement. PostgreSQL is the only source of truth,
 * so any replica may claim: the claim is a conditional {@code UPDATE nodes SET active_jobs =
 * active_jobs + n ... WHERE active_jobs + n <= slots}, which re-checks eligibility on the row it
 * locks, so two replicas never overfill a node.
 *
 * <p>Slots go to the least-loaded nodes first, one slot at a time: every free slot is ranked by
 * the load its node would have before taking it (active per slot, then reported load, then id),
 * and the best {@code count} are taken. So the tasks of one job spread over the fleet.
 */
final class SlotClaims {

  private static final int ATTEMPTS = 5;

  private SlotClaims() {
  }

  /**
   * Within {@code tx}: up to {@code count} slots on nodes matching {@code eligible} (which must
   * not test free slots itself) and {@code pick}, in the order tasks should take them. A node
   * filled concurrently between the pick and the claim is skipped and the rest picked again.
   */
  static List<UUID> claim(DSLContext tx, Condition eligible, Condition pick, int count) {
    List<UUID> claimed = new ArrayList<>();
    for (int attempt = 0; attempt < ATTEMPTS && claimed.size() < count; attempt++) {
      List<Record> slots = tx.fetch("""
              WITH candidate AS (
                SELECT id, slots, active_jobs, current_load FROM {0} WHERE {1} AND {2} AND active_jobs < slots),
              ranked AS (
                SELECT c.id, row_number() OVER (ORDER BY s::float8 / c.slots, c.current_load, c.id) AS rank
                  FROM candidate c, generate_series(c.active_jobs, c.slots - 1) AS s
                 ORDER BY rank LIMIT {3}),
              wanted AS (SELECT id, count(*)::int AS take FROM ranked GROUP BY id),
              claimed AS (
                UPDATE {0} SET active_jobs = {0}.active_jobs + wanted.take FROM wanted
                 WHERE {0}.id = wanted.id AND {0}.active_jobs + wanted.take <= {0}.slots AND {1}
                RETURNING {0}.id)
              SELECT ranked.id, claimed.id IS NOT NULL AS got
                FROM ranked LEFT JOIN claimed ON claimed.id = ranked.id
               ORDER BY ranked.rank""",
          NODES, eligible, pick, DSL.val(count - claimed.size()));
      if (slots.isEmpty()) {
        break;
      }
      for (Record slot : slots) {
        if (Boolean.TRUE.equals(slot.get(1, Boolean.class))) {
          claimed.add(slot.get(0, UUID.class));
        }
      }
    }
    return claimed;
  }

  /** Within {@code tx}: {@code count} slots on one node, all or none. */
  static boolean claimOn(DSLContext tx, UUID nodeId, Condition eligible, int count) {
    return tx.update(NODES)
        .set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.plus(count))
        .where(NODES.ID.eq(nodeId).and(eligible).and(NODES.ACTIVE_JOBS.plus(count).le(NODES.SLOTS)))
        .execute() == 1;
  }
}
