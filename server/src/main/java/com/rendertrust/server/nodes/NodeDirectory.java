package com.rendertrust.server.nodes;

import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.NodesRecord;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import java.util.UUID;

/** Reads of the nodes table for the views built on it (operators' fleet, the admin fleet view). */
public final class NodeDirectory {

  private final Transactions transactions;

  public NodeDirectory(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** The operator's nodes, newest first. */
  public List<NodeView> ofOperator(UUID operatorId) {
    return transactions.repeatable(dsl -> dsl.selectFrom(NODES)
        .where(NODES.OPERATOR_USER_ID.eq(operatorId))
        .orderBy(NODES.CREATED_AT.desc(), NODES.ID)
        .fetch(NodeDirectory::view));
  }

  /** Every node (of one liveness status when {@code status} is given), newest first, and how many match. */
  public Page page(Optional<NodeStatus> status, int limit, int offset) {
    org.jooq.Condition filter = status.map(s -> NODES.STATUS.eq(s.name())).orElse(org.jooq.impl.DSL.noCondition());
    return transactions.repeatable(dsl -> new Page(dsl.selectFrom(NODES).where(filter)
        .orderBy(NODES.CREATED_AT.desc(), NODES.ID)
        .limit(limit).offset(offset)
        .fetch(NodeDirectory::view), dsl.fetchCount(NODES, filter)));
  }

  /** The node, if it exists. */
  public Optional<NodeView> find(UUID nodeId) {
    return transactions.repeatable(dsl -> dsl.selectFrom(NODES).where(NODES.ID.eq(nodeId))
        .fetchOptional(NodeDirectory::view));
  }

  /** One page of nodes and the number of all that match. */
  public record Page(List<NodeView> nodes, int total) {

    public Page {
      nodes = List.copyOf(nodes);
    }
  }

  static NodeView view(NodesRecord row) {
    return new NodeView(row.getId(), row.getName(), row.getStatus(), Arrays.asList(row.getCapabilities()),
        row.getSlots(), row.getActiveJobs(), row.getCurrentLoad(),
        Timestamps.fromDbNullable(row.getLastHeartbeatAt()), Optional.ofNullable(row.getOperatorUserId()),
        row.getVerified(), row.getAdminState(), Timestamps.fromDb(row.getCreatedAt()));
  }
}
