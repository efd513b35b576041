package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Stream heartbeats arriving together are written by one statement, and each stream still gets
 * its own node's answer: a stream that no longer holds its node gets none and changes nothing.
 */
class HeartbeatBatchTest {

  @Test
  void concurrentHeartbeatsEachRecordTheirOwnNodeAndAReplacedStreamGetsNothing() throws Exception {
    try (Database database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      NodeService nodes = new NodeService(database, JobsConfig.defaults(), Clock.systemUTC(), claims -> "token");
      List<UUID> ids = new ArrayList<>();
      List<UUID> sessions = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        TestNode key = TestNode.withNewKey();
        RegisteredNode registered = nodes.register(new NodeRegistration("node-" + i, key.publicKeyPem(),
            List.of("echo"), "{}", Optional.empty()));
        nodes.prove(registered.claims(), key.sign(registered.challenge()));
        UUID session = UUID.randomUUID();
        nodes.openStream(registered.claims(), session, new NodeHello(List.of(), 2, java.util.Map.of(), "test",
            Optional.empty()));
        ids.add(registered.nodeId());
        sessions.add(session);
      }
      UUID replaced = UUID.randomUUID(); // not node 0's stream: its heartbeat must be refused
      database.dsl().update(NODES).setNull(NODES.LAST_HEARTBEAT_AT).set(NODES.CURRENT_LOAD, 0.99).execute();

      List<Future<Optional<NodeState>>> answers = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        UUID node = ids.get(i);
        UUID session = i == 0 ? replaced : sessions.get(i);
        double load = i / 100.0;
        answers.add(threads.submit((Callable<Optional<NodeState>>) () ->
            nodes.streamHeartbeat(node, session, load, Optional.empty())));
      }

      assertThat(answers.get(0).get()).isEmpty();
      for (int i = 1; i < ids.size(); i++) {
        NodeState state = answers.get(i).get().orElseThrow();
        assertThat(state.nodeId()).isEqualTo(ids.get(i));
        assertThat(state.status()).isEqualTo(NodeStatus.HEALTHY);
        assertThat(state.canTakeJobs()).isTrue();
        var row = database.dsl().selectFrom(NODES).where(NODES.ID.eq(ids.get(i))).fetchSingle();
        assertThat(row.getLastHeartbeatAt()).isNotNull();
        assertThat(row.getCurrentLoad()).isEqualTo(i / 100.0);
      }
      var refused = database.dsl().selectFrom(NODES).where(NODES.ID.eq(ids.get(0))).fetchSingle();
      assertThat(refused.getLastHeartbeatAt()).isNull();
      assertThat(refused.getCurrentLoad()).isEqualTo(0.99);
    }
  }
}
