package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * Statements that write several nodes' rows lock them in id order, so two of them never deadlock
 * (a slot claim of a submission batch against the release of a completion batch did, and each
 * deadlock stalled the survivor for PostgreSQL's one-second deadlock_timeout; a heartbeat batch
 * could with either). Each test holds
 * the highest-id node's row, lets the statement wait for it, and checks that it already holds
 * every lower one.
 */
class NodeLockOrderTest {

  private static final int NODES_IN_TEST = 8;

  @Test
  void aReleaseOfSlotsOnManyNodesLocksThemInIdOrder() throws Exception {
    whileTheHighestNodeIsHeld((database, ids) -> {
      database.dsl().update(NODES).set(NODES.ACTIVE_JOBS, 1).where(NODES.ID.in(ids)).execute();
      Map<UUID, Integer> freed = new HashMap<>();
      ids.forEach(id -> freed.put(id, 1));
      return dsl -> NodeStates.releaseSucceeded(dsl, freed);
    }, database -> assertThat(database.dsl().fetchOne("SELECT sum(active_jobs)::int FROM nodes").get(0, Integer.class))
        .isZero());
  }

  @Test
  void aClaimOfSlotsOnManyNodesLocksThemInIdOrder() throws Exception {
    whileTheHighestNodeIsHeld((database, ids) -> dsl -> assertThat(
            NodeStates.claimFor(dsl, "echo", false, NODES_IN_TEST)).containsExactlyInAnyOrderElementsOf(ids),
        database -> assertThat(database.dsl().fetchOne("SELECT sum(active_jobs)::int FROM nodes").get(0, Integer.class))
            .isEqualTo(NODES_IN_TEST));
  }

  @Test
  void aHeartbeatBatchOfManyNodesLocksThemInIdOrder() throws Exception {
    whileTheHighestNodeIsHeld((database, ids) -> {
      List<HeartbeatBatch.Beat> beats = new ArrayList<>();
      database.dsl().select(NODES.ID, NODES.STREAM_SESSION).from(NODES).where(NODES.ID.in(ids))
          .forEach(row -> beats.add(new HeartbeatBatch.Beat(row.value1(), row.value2(), 0.5)));
      java.util.Collections.shuffle(beats);
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      return dsl -> assertThat(NodeService.heartbeatAll(dsl, beats, now, now.minusMinutes(5))).hasSize(NODES_IN_TEST);
    }, database -> assertThat(database.dsl().fetchOne("SELECT count(*)::int FROM nodes WHERE current_load = 0.5")
        .get(0, Integer.class)).isEqualTo(NODES_IN_TEST));
  }

  private interface Writer {
    /** The statement under test, to run in a transaction (after any setup, done here). */
    Consumer<DSLContext> prepare(Database database, List<UUID> ids) throws Exception;
  }

  private interface Check {
    void after(Database database) throws Exception;
  }

  private static void whileTheHighestNodeIsHeld(Writer writer, Check check) throws Exception {
    try (Database database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<UUID> ids = ReadyNodes.register(database, "node-", NODES_IN_TEST);
      Consumer<DSLContext> statement = writer.prepare(database, ids);
      List<UUID> inIdOrder = database.dsl().select(NODES.ID).from(NODES).orderBy(NODES.ID).fetch(NODES.ID);
      UUID highest = inIdOrder.getLast();
      Future<?> written;
      try (Connection holder = database.dataSource().getConnection()) {
        holder.setAutoCommit(false);
        assertThat(tryLock(holder, highest)).isTrue();
        written = threads.submit(() -> database.dsl().transaction(cfg -> statement.accept(cfg.dsl())));
        awaitWaitingForALock(database);
        for (UUID lower : inIdOrder.subList(0, inIdOrder.size() - 1)) {
          try (Connection probe = database.dataSource().getConnection()) {
            probe.setAutoCommit(false);
            assertThat(tryLock(probe, lower)).as("node %s, below the held one, is already locked", lower).isFalse();
            probe.rollback();
          }
        }
        holder.commit();
      }
      written.get(30, TimeUnit.SECONDS);
      check.after(database);
    }
  }

  /** Locks the node's row without waiting; false when another transaction holds it. */
  private static boolean tryLock(Connection connection, UUID node) throws SQLException {
    try (PreparedStatement lock = connection.prepareStatement(
        "SELECT 1 FROM nodes WHERE id = ? FOR NO KEY UPDATE NOWAIT")) {
      lock.setObject(1, node);
      lock.executeQuery().close();
      return true;
    } catch (SQLException e) {
      if ("55P03".equals(e.getSQLState())) { // lock_not_available
        connection.rollback();
        return false;
      }
      throw e;
    }
  }

  private static void awaitWaitingForALock(Database database) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (database.dsl().fetchCount(database.dsl().selectOne().from("pg_stat_activity")
        .where("wait_event_type = 'Lock' AND query LIKE '%nodes%'")) == 0) {
      assertThat(System.nanoTime()).as("the statement waits for the held node").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
