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

  static NodeView view(NodesRecord row) {
    return new NodeView(row.getId(), row.getName(), row.getStatus(), Arrays.asList(row.getCapabilities()),
        row.getSlots(), row.getActiveJobs(), row.getCurrentLoad(),
        Timestamps.fromDbNullable(row.getLastHeartbeatAt()), Optional.ofNullable(row.getOperatorUserId()),
        row.getVerified(), Timestamps.fromDb(row.getCreatedAt()));
  }
}
