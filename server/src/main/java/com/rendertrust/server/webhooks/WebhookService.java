package com.rendertrust.server.webhooks;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.jooq.DSLContext;

/**
 * What creators do with webhook endpoints (create, list, delete, rotate the secret, send a test
 * event, read the delivery log, redeliver), and the entry of job events ({@link JobEventSink}):
 * an event becomes one stored body and a PENDING delivery per subscribed endpoint, in one
 * transaction. Every operation is scoped to the caller: another user's endpoint or delivery
 * answers exactly like a missing one.
 */
public final class WebhookService implements JobEventSink {

  /** A rotated-out secret keeps signing this long. */
  static final java.time.Duration ROTATION_OVERLAP = java.time.Duration.ofHours(24);
  private static final int MAX_DESCRIPTION = 500;
  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final DSLContext dsl;
  private final Transactions transactions;
  private final WebhookUrls urls;
  private final WebhooksConfig config;
  private final Clock clock;
  private final Runnable wake;

  WebhookService(DSLContext dsl, WebhookUrls urls, WebhooksConfig config, Clock clock, Runnable wake) {
    this.dsl = dsl;
    this.transactions = new Transactions(dsl);
    this.urls = urls;
    this.config = config;
    this.clock = clock;
    this.wake = wake;
  }

  /** A new enabled endpoint and its secret; 422 for a bad URL, an empty or unknown event type. */
  public CreatedEndpoint create(UUID userId, String url, List<String> events, String description) {
    String checkedUrl = urls.validate(url).toString();
    Set<String> types = new LinkedHashSet<>();
    for (String type : events) {
      String value = type == null ? "" : type.strip();
      if (!EventTypes.isSubscribable(value)) {
        throw new DomainException(Reason.VALIDATION_FAILED, "unknown event type '" + truncated(value)
            + "'; known: " + String.join(", ", EventTypes.SUBSCRIBABLE), Map.of("field", "events"));
      }
      types.add(value);
    }
    if (types.isEmpty()) {
      throw new DomainException(Reason.VALIDATION_FAILED, "events must name at least one event type, e.g."
          + " [\"job.completed\",\"job.failed\"]", Map.of("field", "events"));
    }
    String text = description == null ? "" : description.strip();
    if (text.length() > MAX_DESCRIPTION) {
      throw new DomainException(Reason.VALIDATION_FAILED, "description must be at most " + MAX_DESCRIPTION
          + " characters", Map.of("field", "description"));
    }
    Endpoint endpoint = new Endpoint(UUID.randomUUID(), userId, checkedUrl, List.copyOf(types), text,
        WebhookSignatures.newSecret(), Optional.empty(), Optional.empty(), true, Optional.empty(), Optional.empty(),
        now());
    transactions.inTransaction(tx -> {
      EndpointRows.insert(tx, endpoint);
      return null;
    });
    return new CreatedEndpoint(endpoint, endpoint.secret());
  }

  public List<Endpoint> list(UUID userId) {
    return transactions.repeatable(tx -> EndpointRows.ofUser(tx, userId));
  }

  /** Deletes the endpoint, its pending deliveries and its log; the endpoint as it was, disabled. */
  public Endpoint delete(UUID userId, String endpointId) {
    UUID id = parse(endpointId, "webhook endpoint");
    return transactions.inTransaction(tx -> {
      Endpoint endpoint = EndpointRows.owned(tx, userId, id, true)
          .orElseThrow(() -> DomainException.notFound("webhook endpoint"));
      EndpointRows.delete(tx, id);
      return endpoint.withEnabled(false);
    });
  }

  /** A new secret; the previous one keeps signing for {@link #ROTATION_OVERLAP}. */
  public String rotateSecret(UUID userId, String endpointId) {
    UUID id = parse(endpointId, "webhook endpoint");
    String secret = WebhookSignatures.newSecret();
    Instant now = now();
    transactions.inTransaction(tx -> {
      Endpoint endpoint = EndpointRows.owned(tx, userId, id, true)
          .orElseThrow(() -> DomainException.notFound("webhook endpoint"));
      EndpointRows.rotate(tx, id, secret, endpoint.secret(), now.plus(ROTATION_OVERLAP));
      return null;
    });
    return secret;
  }

  /** Queues a {@code webhook.test} event for the endpoint (enabled again if it was disabled); its event id. */
  public String sendTest(UUID userId, String endpointId) {
    UUID id = parse(endpointId, "webhook endpoint");
    Instant now = now();
    String eventId = WebhookSignatures.newEventId();
    JsonObject data = new JsonObject();
    data.addProperty("endpoint_id", id.toString());
    data.addProperty("message", "a test event from RenderTrust");
    String body = body(eventId, EventTypes.TEST, now, data);
    transactions.inTransaction(tx -> {
      EndpointRows.owned(tx, userId, id, true).orElseThrow(() -> DomainException.notFound("webhook endpoint"));
      EndpointRows.enable(tx, id);
      DeliveryRows.insertEvent(tx, eventId, userId, EventTypes.TEST, body, null, now);
      DeliveryRows.insertDelivery(tx, id, eventId, now, now.plus(config.retryWindow()));
      return null;
    });
    wake.run();
    return eventId;
  }

  public DeliveryPage deliveries(UUID userId, String endpointId, int limit, int offset) {
    if (limit < 0 || limit > MAX_PAGE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + MAX_PAGE,
          Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    UUID id = parse(endpointId, "webhook endpoint");
    int pageSize = limit == 0 ? DEFAULT_PAGE : limit;
    return transactions.repeatable(tx -> {
      EndpointRows.owned(tx, userId, id, false).orElseThrow(() -> DomainException.notFound("webhook endpoint"));
      return new DeliveryPage(DeliveryRows.page(tx, id, pageSize, offset), DeliveryRows.count(tx, id));
    });
  }

  /** A new PENDING delivery of the same event (same event id) to the same endpoint, enabled again. */
  public Delivery redeliver(UUID userId, String deliveryId) {
    UUID id = parse(deliveryId, "webhook delivery");
    Instant now = now();
    Delivery created = transactions.inTransaction(tx -> {
      Delivery delivery = DeliveryRows.owned(tx, userId, id)
          .orElseThrow(() -> DomainException.notFound("webhook delivery"));
      EndpointRows.owned(tx, userId, delivery.endpointId(), true)
          .orElseThrow(() -> DomainException.notFound("webhook delivery"));
      EndpointRows.enable(tx, delivery.endpointId());
      UUID newId = DeliveryRows.insertDelivery(tx, delivery.endpointId(), delivery.eventId(), now,
          now.plus(config.retryWindow()));
      return DeliveryRows.byId(tx, newId).orElseThrow();
    });
    wake.run();
    return created;
  }

  @Override
  public void onJobEvent(UUID userId, String eventType, String jobJson, long sourceEventId, Instant at) {
    boolean queued = transactions.inTransaction(tx -> onJobEvent(tx, userId, eventType, jobJson, sourceEventId, at));
    if (queued) {
      wake.run();
    }
  }

  /**
   * The same inside the caller's transaction {@code tx} (e.g. the one that stores the job event),
   * so the deliveries commit with it; true when deliveries were queued. The caller then commits.
   */
  public boolean onJobEvent(DSLContext tx, UUID userId, String eventType, String jobJson, long sourceEventId,
      Instant at) {
    return onJobEvent(tx, userId, eventType, () -> jobJson, sourceEventId, at);
  }

  /** The same, with the job's JSON made only when an endpoint subscribes to the event. */
  boolean onJobEvent(DSLContext tx, UUID userId, String eventType, Supplier<String> jobJson, long sourceEventId,
      Instant at) {
    List<UUID> endpoints = EndpointRows.subscribed(tx, userId, eventType);
    if (endpoints.isEmpty()) {
      return false;
    }
    String eventId = WebhookSignatures.newEventId();
    JsonObject data = new JsonObject();
    data.add("job", JsonParser.parseString(jobJson.get()));
    Instant now = now();
    if (!DeliveryRows.insertEvent(tx, eventId, userId, eventType, body(eventId, eventType, at, data), sourceEventId,
        now)) {
      return false; // handed over before
    }
    for (UUID endpoint : endpoints) {
      DeliveryRows.insertDelivery(tx, endpoint, eventId, now, now.plus(config.retryWindow()));
    }
    return true;
  }

  /** The owners with an enabled endpoint: the only ones whose job events the feed has to read. */
  Set<UUID> ownersWithEndpoints(DSLContext tx) {
    return EndpointRows.ownersWithEnabled(tx);
  }

  /** Deliveries were queued in a transaction that has committed: the local worker looks now. */
  void wakeDeliveries() {
    wake.run();
  }

  /** {@code {"id","type","created_at","data"}}: the exact bytes every delivery of the event sends. */
  static String body(String eventId, String type, Instant createdAt, JsonObject data) {
    JsonObject body = new JsonObject();
    body.addProperty("id", eventId);
    body.addProperty("type", type);
    body.addProperty("created_at", createdAt.truncatedTo(ChronoUnit.MICROS).toString());
    body.add("data", data);
    return body.toString();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private static UUID parse(String id, String what) {
    return Ids.parse(id).orElseThrow(() -> DomainException.notFound(what));
  }

  private static String truncated(String value) {
    return value.length() <= 64 ? value : value.substring(0, 64) + "...";
  }
}
