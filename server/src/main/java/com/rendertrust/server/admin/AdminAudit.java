package com.rendertrust.server.admin;

import static com.rendertrust.server.db.Tables.ADMIN_AUDIT;

import com.google.gson.Gson;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;

/**
 * The append-only {@code admin_audit} table (its one writer): one row per admin call, with who,
 * what, on what, the request's details and the outcome. The database refuses UPDATE, DELETE and
 * TRUNCATE on it (migration V15).
 */
public final class AdminAudit {

  private static final Gson GSON = new Gson();

  /** One audited call. */
  public record Row(UUID id, UUID adminId, String action, Optional<String> targetType, Optional<String> targetId,
      String detailsJson, String outcome) {
  }

  private final Transactions transactions;
  private final Clock clock;

  public AdminAudit(DSLContext dsl, Clock clock) {
    this.transactions = new Transactions(dsl);
    this.clock = clock;
  }

  public void record(UUID adminId, String action, String targetType, String targetId, Map<String, ?> details,
      String outcome) {
    UUID id = UUID.randomUUID();
    transactions.singleStatement(dsl -> dsl.insertInto(ADMIN_AUDIT)
        .set(ADMIN_AUDIT.ID, id)
        .set(ADMIN_AUDIT.ADMIN_USER_ID, adminId)
        .set(ADMIN_AUDIT.ACTION, action)
        .set(ADMIN_AUDIT.TARGET_TYPE, targetType)
        .set(ADMIN_AUDIT.TARGET_ID, targetId == null || targetId.length() <= 255 ? targetId : targetId.substring(0, 255))
        .set(ADMIN_AUDIT.DETAILS, JSONB.jsonb(GSON.toJson(details)))
        .set(ADMIN_AUDIT.OUTCOME, outcome)
        .set(ADMIN_AUDIT.CREATED_AT, Timestamps.toDb(clock.instant()))
        .onConflictDoNothing()
        .execute());
  }

  /** The newest rows first (for tests and operators of the installation). */
  public java.util.List<Row> newest(int limit) {
    return transactions.repeatable(dsl -> dsl.selectFrom(ADMIN_AUDIT)
        .orderBy(ADMIN_AUDIT.CREATED_AT.desc(), ADMIN_AUDIT.ID)
        .limit(limit)
        .fetch(row -> new Row(row.getId(), row.getAdminUserId(), row.getAction(),
            Optional.ofNullable(row.getTargetType()), Optional.ofNullable(row.getTargetId()), row.getDetails().data(),
            row.getOutcome())));
  }
}
