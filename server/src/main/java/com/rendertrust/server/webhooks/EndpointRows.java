package com.rendertrust.server.webhooks;

import static com.rendertrust.server.db.Tables.WEBHOOK_ENDPOINTS;

import com.rendertrust.server.db.tables.records.WebhookEndpointsRecord;
import com.rendertrust.server.platform.db.Timestamps;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/** The {@code webhook_endpoints} table, which only the webhooks feature writes. */
final class EndpointRows {

  private EndpointRows() {
  }

  static void insert(DSLContext dsl, Endpoint endpoint) {
    dsl.insertInto(WEBHOOK_ENDPOINTS)
        .set(WEBHOOK_ENDPOINTS.ID, endpoint.id())
        .set(WEBHOOK_ENDPOINTS.USER_ID, endpoint.userId())
        .set(WEBHOOK_ENDPOINTS.URL, endpoint.url())
        .set(WEBHOOK_ENDPOINTS.EVENTS, endpoint.events().toArray(String[]::new))
        .set(WEBHOOK_ENDPOINTS.DESCRIPTION, endpoint.description())
        .set(WEBHOOK_ENDPOINTS.SECRET, endpoint.secret())
        .set(WEBHOOK_ENDPOINTS.ENABLED, endpoint.enabled())
        .set(WEBHOOK_ENDPOINTS.CREATED_AT, Timestamps.toDb(endpoint.createdAt()))
        .execute();
  }

  static Optional<Endpoint> owned(DSLContext dsl, UUID userId, UUID id, boolean lock) {
    var query = dsl.selectFrom(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.ID.eq(id).and(WEBHOOK_ENDPOINTS.USER_ID.eq(userId)));
    return (lock ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(EndpointRows::toEndpoint);
  }

  static Optional<Endpoint> byId(DSLContext dsl, UUID id) {
    return dsl.selectFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.ID.eq(id)).fetchOptional()
        .map(EndpointRows::toEndpoint);
  }

  static List<Endpoint> ofUser(DSLContext dsl, UUID userId) {
    return dsl.selectFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.USER_ID.eq(userId))
        .orderBy(WEBHOOK_ENDPOINTS.CREATED_AT.desc(), WEBHOOK_ENDPOINTS.ID.desc())
        .fetch(EndpointRows::toEndpoint);
  }

  /** The ids of the user's enabled endpoints that subscribe to {@code type}. */
  static List<UUID> subscribed(DSLContext dsl, UUID userId, String type) {
    return dsl.select(WEBHOOK_ENDPOINTS.ID).from(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.USER_ID.eq(userId).and(WEBHOOK_ENDPOINTS.ENABLED.isTrue()))
        .and(org.jooq.impl.DSL.condition("{0} = ANY({1})", org.jooq.impl.DSL.val(type), WEBHOOK_ENDPOINTS.EVENTS))
        .fetch(WEBHOOK_ENDPOINTS.ID);
  }

  static java.util.Set<UUID> ownersWithEnabled(DSLContext dsl) {
    return dsl.selectDistinct(WEBHOOK_ENDPOINTS.USER_ID).from(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.ENABLED.isTrue())
        .fetchSet(WEBHOOK_ENDPOINTS.USER_ID);
  }

  static void delete(DSLContext dsl, UUID id) {
    dsl.deleteFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.ID.eq(id)).execute();
  }

  static void rotate(DSLContext dsl, UUID id, String newSecret, String previous, Instant previousExpiresAt) {
    dsl.update(WEBHOOK_ENDPOINTS)
        .set(WEBHOOK_ENDPOINTS.SECRET, newSecret)
        .set(WEBHOOK_ENDPOINTS.PREVIOUS_SECRET, previous)
        .set(WEBHOOK_ENDPOINTS.PREVIOUS_EXPIRES_AT, Timestamps.toDb(previousExpiresAt))
        .where(WEBHOOK_ENDPOINTS.ID.eq(id))
        .execute();
  }

  /** Enabled again (a redelivery to an endpoint disabled for failing), its failure clock reset. */
  static void enable(DSLContext dsl, UUID id) {
    dsl.update(WEBHOOK_ENDPOINTS)
        .set(WEBHOOK_ENDPOINTS.ENABLED, true)
        .setNull(WEBHOOK_ENDPOINTS.DISABLED_AT)
        .setNull(WEBHOOK_ENDPOINTS.FAILING_SINCE)
        .where(WEBHOOK_ENDPOINTS.ID.eq(id).and(WEBHOOK_ENDPOINTS.ENABLED.isFalse()))
        .execute();
  }

  /** A success: the endpoint is not failing (written only when it was). */
  static void succeeded(DSLContext dsl, UUID id) {
    dsl.update(WEBHOOK_ENDPOINTS)
        .setNull(WEBHOOK_ENDPOINTS.FAILING_SINCE)
        .where(WEBHOOK_ENDPOINTS.ID.eq(id).and(WEBHOOK_ENDPOINTS.FAILING_SINCE.isNotNull()))
        .execute();
  }

  /**
   * A failed attempt: the endpoint is failing since now unless it already was; true when it has
   * been failing since {@code disableBefore} or earlier and is now disabled by this call.
   */
  static boolean failed(DSLContext dsl, UUID id, Instant now, Instant disableBefore) {
    dsl.update(WEBHOOK_ENDPOINTS)
        .set(WEBHOOK_ENDPOINTS.FAILING_SINCE, Timestamps.toDb(now))
        .where(WEBHOOK_ENDPOINTS.ID.eq(id).and(WEBHOOK_ENDPOINTS.FAILING_SINCE.isNull()))
        .execute();
    return dsl.update(WEBHOOK_ENDPOINTS)
        .set(WEBHOOK_ENDPOINTS.ENABLED, false)
        .set(WEBHOOK_ENDPOINTS.DISABLED_AT, Timestamps.toDb(now))
        .where(WEBHOOK_ENDPOINTS.ID.eq(id).and(WEBHOOK_ENDPOINTS.ENABLED.isTrue())
            .and(WEBHOOK_ENDPOINTS.FAILING_SINCE.le(Timestamps.toDb(disableBefore))))
        .execute() == 1;
  }

  static Endpoint toEndpoint(WebhookEndpointsRecord row) {
    return new Endpoint(row.getId(), row.getUserId(), row.getUrl(), Arrays.asList(row.getEvents()),
        row.getDescription(), row.getSecret(), Optional.ofNullable(row.getPreviousSecret()),
        Timestamps.fromDbNullable(row.getPreviousExpiresAt()), row.getEnabled(),
        Timestamps.fromDbNullable(row.getFailingSince()), Timestamps.fromDbNullable(row.getDisabledAt()),
        Timestamps.fromDb(row.getCreatedAt()));
  }
}
