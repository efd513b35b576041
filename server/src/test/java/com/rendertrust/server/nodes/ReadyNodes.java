package com.rendertrust.server.nodes;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.TestNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Nodes made ready the way agents make them: registered, key proven, stream open. */
final class ReadyNodes {

  private ReadyNodes() {
  }

  /** {@code count} nodes offering echo tasks, one slot each, none busy; their ids in creation order. */
  static List<UUID> register(Database database, String namePrefix, int count) {
    NodeService nodes = new NodeService(database, JobsConfig.defaults(), Clock.systemUTC(), claims -> "token");
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TestNode key = TestNode.withNewKey();
      RegisteredNode registered = nodes.register(new NodeRegistration(namePrefix + i, key.publicKeyPem(),
          List.of("echo"), "{}", Optional.empty()));
      nodes.prove(registered.claims(), key.sign(registered.challenge()));
      nodes.openStream(registered.claims(), UUID.randomUUID(), new NodeHello(List.of(), 1, Map.of(), "test",
          Optional.empty()));
      ids.add(registered.nodeId());
    }
    return ids;
  }
}
