package com.rendertrust.server.webhooks;

import static com.rendertrust.server.db.Tables.WEBHOOK_DELIVERIES;
import static com.rendertrust.server.db.Tables.WEBHOOK_ENDPOINTS;
import static com.rendertrust.server.db.Tables.WEBHOOK_EVENTS;

import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.webhooks.Delivery.DeliveryStatus;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/** The {@code webhook_events} and {@code webhook_deliveries} tables (the outbox), only the webhooks feature's. */
final class DeliveryRows {

  private static final String PENDING = DeliveryStatus.PENDING.name();

  private DeliveryRows() {
  }

  /** Stores an event; false when one made from the same source event already exists. */
  static boolean insertEvent(DSLContext dsl, String id, UUID userId, String type, String body, Long sourceEventId,
      Instant now) {
    return dsl.insertInto(WEBHOOK_EVENTS)
        .set(WEBHOOK_EVENTS.ID, id)
        .set(WEBHOOK_EVENTS.USER_ID, userId)
        .set(WEBHOOK_EVENTS.TYPE, type)
        .set(WEBHOOK_EVENTS.BODY, body)
        .set(WEBHOOK_EVENTS.SOURCE_EVENT_ID, sourceEventId)
        .set(WEBHOOK_EVENTS.CREATED_AT, Timestamps.toDb(now))
        .onConflictDoNothing()
        .execute() == 1;
  }

  static UUID insertDelivery(DSLContext dsl, UUID endpointId, String eventId, Instant now, Instant retryUntil) {
    UUID id = UUID.randomUUID();
    dsl.insertInto(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.ID, id)
        .set(WEBHOOK_DELIVERIES.ENDPOINT_ID, endpointId)
        .set(WEBHOOK_DELIVERIES.EVENT_ID, eventId)
        .set(WEBHOOK_DELIVERIES.STATUS, PENDING)
        .set(WEBHOOK_DELIVERIES.ATTEMPTS, 0)
        .set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, Timestamps.toDb(now))
        .set(WEBHOOK_DELIVERIES.RETRY_UNTIL, Timestamps.toDb(retryUntil))
        .set(WEBHOOK_DELIVERIES.CREATED_AT, Timestamps.toDb(now))
        .execute();
    return id;
  }

  /**
   * Leases up to {@code limit} due deliveries of enabled endpoints in one statement: the rows are
   * picked with FOR UPDATE SKIP LOCKED (rows another replica is leasing right now are skipped,
   * never waited for), their attempt count goes up by one and they are not due again until
   * {@code leaseUntil}. So each attempt number is handed to exactly one replica; a replica that
   * dies mid-attempt leaves the delivery due again when the lease runs out (at least once).
   *
   * <p>The pick is a MATERIALIZED CTE joined by primary key: written as {@code id IN (subquery)},
   * stale statistics (a table that was all SUCCEEDED at its last ANALYZE) made PostgreSQL rescan
   * the locking subquery once per pending row, minutes for a backlog of 10,000.
   */
  static List<Lease> lease(DSLContext dsl, Instant now, Instant leaseUntil, int limit) {
    // one round trip: the pick, the lease, and (RETURNING over the joined rows) what the attempts need
    return dsl.resultQuery("""
            WITH due AS MATERIALIZED (
              SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
              WHERE d.status = 'PENDING' AND d.next_attempt_at <= {0} AND e.enabled
              ORDER BY d.next_attempt_at
              LIMIT {1}
              FOR UPDATE OF d SKIP LOCKED)
            UPDATE webhook_deliveries w SET attempts = w.attempts + 1, next_attempt_at = {2}
            FROM due, webhook_endpoints e, webhook_events ev
            WHERE w.id = due.id AND w.status = 'PENDING' AND e.id = w.endpoint_id AND ev.id = w.event_id
            RETURNING w.id AS delivery_id, w.attempts AS attempt, w.retry_until, ev.id AS event_id,
              ev.body AS event_body, e.*""",
            DSL.val(Timestamps.toDb(now)), DSL.val(limit), DSL.val(Timestamps.toDb(leaseUntil)))
        .fetch(row -> new Lease(row.get("delivery_id", UUID.class), row.get("attempt", Integer.class),
            Timestamps.fromDb(row.get("retry_until", java.time.OffsetDateTime.class)), leaseUntil,
            EndpointRows.toEndpoint(row.into(WEBHOOK_ENDPOINTS)), row.get("event_id", String.class),
            row.get("event_body", String.class)));
  }

  /**
   * Records a batch of outcomes in one statement (the rows travel as arrays, unnested into a
   * join), each fenced by its attempt number: a row is written only if it is still PENDING at
   * the attempt number that was leased (a lease that ran out and went to another replica is
   * never overwritten). Answers the deliveries that were recorded.
   */
  static Set<UUID> finishAll(DSLContext dsl, List<OutcomeRecorder.Finished> outcomes) {
    int n = outcomes.size();
    String[] ids = new String[n];
    String[] attempts = new String[n];
    String[] statuses = new String[n];
    String[] next = new String[n];
    String[] responses = new String[n];
    String[] errors = new String[n];
    String[] finished = new String[n];
    for (int i = 0; i < n; i++) {
      OutcomeRecorder.Finished outcome = outcomes.get(i);
      ids[i] = outcome.lease().deliveryId().toString();
      attempts[i] = Integer.toString(outcome.lease().attempt());
      statuses[i] = outcome.status().name();
      next[i] = outcome.nextAttemptAt().toString();
      responses[i] = outcome.responseStatus() == null ? null : outcome.responseStatus().toString();
      errors[i] = outcome.error() == null ? null : truncate(outcome.error());
      finished[i] = outcome.status() == DeliveryStatus.PENDING ? null : outcome.at().toString();
    }
    return new HashSet<>(dsl.resultQuery("""
            UPDATE webhook_deliveries d SET status = u.status, next_attempt_at = u.next_attempt_at,
              response_status = u.response_status, last_error = u.last_error, finished_at = u.finished_at
            FROM unnest({0}::text[]::uuid[], {1}::text[]::int[], {2}::text[], {3}::text[]::timestamptz[],
                        {4}::text[]::int[], {5}::text[], {6}::text[]::timestamptz[])
              AS u(id, attempt, status, next_attempt_at, response_status, last_error, finished_at)
            WHERE d.id = u.id AND d.attempts = u.attempt AND d.status = 'PENDING'
            RETURNING d.id""",
            DSL.val(ids), DSL.val(attempts), DSL.val(statuses), DSL.val(next), DSL.val(responses), DSL.val(errors),
            DSL.val(finished))
        .fetch(0, UUID.class));
  }

  /** A disabled endpoint's pending deliveries fail at once. */
  static void failPending(DSLContext dsl, UUID endpointId, String error, Instant now) {
    dsl.update(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.STATUS, DeliveryStatus.FAILED.name())
        .set(WEBHOOK_DELIVERIES.LAST_ERROR, error)
        .set(WEBHOOK_DELIVERIES.FINISHED_AT, Timestamps.toDb(now))
        .where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(endpointId).and(WEBHOOK_DELIVERIES.STATUS.eq(PENDING)))
        .execute();
  }

  static List<Delivery> page(DSLContext dsl, UUID endpointId, int limit, int offset) {
    return selectDeliveries(dsl).where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(endpointId))
        .orderBy(WEBHOOK_DELIVERIES.CREATED_AT.desc(), WEBHOOK_DELIVERIES.ID.desc())
        .limit(limit).offset(offset)
        .fetch(DeliveryRows::toDelivery);
  }

  static int count(DSLContext dsl, UUID endpointId) {
    return dsl.fetchCount(WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(endpointId));
  }

  /** A delivery of one of the user's endpoints. */
  static Optional<Delivery> owned(DSLContext dsl, UUID userId, UUID deliveryId) {
    return selectDeliveries(dsl)
        .where(WEBHOOK_DELIVERIES.ID.eq(deliveryId))
        .and(WEBHOOK_DELIVERIES.ENDPOINT_ID.in(
            DSL.select(WEBHOOK_ENDPOINTS.ID).from(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.USER_ID.eq(userId))))
        .fetchOptional(DeliveryRows::toDelivery);
  }

  static Optional<Delivery> byId(DSLContext dsl, UUID deliveryId) {
    return selectDeliveries(dsl).where(WEBHOOK_DELIVERIES.ID.eq(deliveryId)).fetchOptional(DeliveryRows::toDelivery);
  }

  private static org.jooq.SelectJoinStep<Record> selectDeliveries(DSLContext dsl) {
    return dsl.select(WEBHOOK_DELIVERIES.fields()).select(WEBHOOK_EVENTS.TYPE)
        .from(WEBHOOK_DELIVERIES)
        .join(WEBHOOK_EVENTS).on(WEBHOOK_EVENTS.ID.eq(WEBHOOK_DELIVERIES.EVENT_ID));
  }

  private static Delivery toDelivery(Record row) {
    return new Delivery(row.get(WEBHOOK_DELIVERIES.ID), row.get(WEBHOOK_DELIVERIES.ENDPOINT_ID),
        row.get(WEBHOOK_DELIVERIES.EVENT_ID), row.get(WEBHOOK_EVENTS.TYPE), row.get(WEBHOOK_DELIVERIES.ATTEMPTS),
        DeliveryStatus.valueOf(row.get(WEBHOOK_DELIVERIES.STATUS)),
        Timestamps.fromDb(row.get(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT)),
        Optional.ofNullable(row.get(WEBHOOK_DELIVERIES.RESPONSE_STATUS)),
        Optional.ofNullable(row.get(WEBHOOK_DELIVERIES.LAST_ERROR)),
        Timestamps.fromDb(row.get(WEBHOOK_DELIVERIES.CREATED_AT)));
  }

  private static String truncate(String error) {
    return error.length() <= 500 ? error : error.substring(0, 497) + "...";
  }
}
