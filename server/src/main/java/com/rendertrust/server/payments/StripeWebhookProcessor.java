package com.rendertrust.server.payments;

import static com.rendertrust.server.db.Tables.CREDIT_CHECKOUTS;
import static com.rendertrust.server.db.Tables.STRIPE_EVENTS;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.LedgerEntry;
import com.rendertrust.server.db.tables.records.CreditCheckoutsRecord;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies signed Stripe events exactly once. The event id is inserted first, in the same
 * transaction that applies the event: concurrent deliveries of one event queue on that unique
 * key and find it taken once the first commits (or take it if the first rolled back), and
 * events about one session queue on the checkout row lock. A paid session credits the credits
 * of OUR checkout record to OUR record's user, once, whichever paid-proving event arrives first
 * ({@code checkout.session.completed} with payment_status=paid, or
 * {@code checkout.session.async_payment_succeeded}).
 */
public final class StripeWebhookProcessor {

  private static final Logger log = LoggerFactory.getLogger(StripeWebhookProcessor.class);

  /** What an event did, stored per event in {@code stripe_events.outcome}. */
  public enum Outcome {
    /** The session's package was credited by this event. */
    CREDITED,
    /** The session had already been credited by an earlier event. */
    ALREADY_CREDITED,
    /** This event id was received before; nothing done again. */
    DUPLICATE_EVENT,
    /** Completed without payment yet (delayed method): credit waits for async_payment_succeeded. */
    AWAITING_PAYMENT,
    PAYMENT_FAILED,
    EXPIRED,
    /** A failure or expiry reported for a session that was already paid: alert, no automatic debit. */
    LATE_FAILURE,
    /** No checkout of ours matches the session: recorded and logged, nothing credited. */
    UNKNOWN_SESSION,
    /** The event's amount, currency or client reference disagrees with our record: alert, nothing credited. */
    MISMATCH,
    /** A live event at a test-mode server or the reverse: ignored. */
    WRONG_MODE,
    /** An event type this server does not act on. */
    IGNORED
  }

  private final Transactions transactions;
  private final CreditService credits;
  private final Optional<StripeSignatureVerifier> verifier;
  private final Optional<Boolean> liveMode;
  private final StripeEventParser parser = new StripeEventParser();

  /**
   * {@code verifier} empty: no webhook secret configured (503 PAYMENTS_NOT_CONFIGURED, so Stripe
   * retries once it is). {@code liveMode}: which events this server takes, when known from its key.
   */
  public StripeWebhookProcessor(DSLContext dsl, CreditService credits, Optional<StripeSignatureVerifier> verifier,
      Optional<Boolean> liveMode) {
    this.transactions = new Transactions(dsl);
    this.credits = credits;
    this.verifier = verifier;
    this.liveMode = liveMode;
  }

  /** Verifies, parses and applies one delivery; nothing is written unless the signature verified. */
  public Outcome receive(byte[] body, Optional<String> signatureHeader) {
    StripeSignatureVerifier signatures = verifier.orElseThrow(() -> new DomainException(
        Reason.PAYMENTS_NOT_CONFIGURED, "the Stripe webhook secret is not configured on this server"));
    signatures.verify(body, signatureHeader);
    String payload = new String(body, StandardCharsets.UTF_8);
    StripeEvent event = parser.parse(payload);
    Outcome outcome = transactions.inTransaction(tx -> {
      int recorded = tx.insertInto(STRIPE_EVENTS)
          .set(STRIPE_EVENTS.EVENT_ID, event.id())
          .set(STRIPE_EVENTS.TYPE, event.type())
          .set(STRIPE_EVENTS.LIVEMODE, event.livemode())
          .set(STRIPE_EVENTS.SESSION_ID, event.session().map(StripeEvent.CheckoutSession::id).orElse(null))
          .set(STRIPE_EVENTS.OUTCOME, "PROCESSING")
          .onConflictDoNothing()
          .execute();
      if (recorded == 0) {
        return Outcome.DUPLICATE_EVENT;
      }
      Outcome applied = apply(tx, event);
      tx.update(STRIPE_EVENTS).set(STRIPE_EVENTS.OUTCOME, applied.name())
          .where(STRIPE_EVENTS.EVENT_ID.eq(event.id())).execute();
      return applied;
    });
    log.info("stripe event {} ({}): {}", event.id(), event.type(), outcome);
    return outcome;
  }

  private Outcome apply(DSLContext tx, StripeEvent event) {
    if (liveMode.isPresent() && liveMode.get() != event.livemode()) {
      log.warn("stripe event {} has livemode={} but this server runs in {} mode; ignored", event.id(),
          event.livemode(), liveMode.get() ? "live" : "test");
      return Outcome.WRONG_MODE;
    }
    if (event.session().isEmpty()) {
      return Outcome.IGNORED;
    }
    StripeEvent.CheckoutSession session = event.session().get();
    return switch (event.type()) {
      case StripeEvent.CHECKOUT_COMPLETED -> session.paid() ? fulfil(tx, event, session) : awaitPayment(tx, event, session);
      case StripeEvent.ASYNC_PAYMENT_SUCCEEDED -> fulfil(tx, event, session);
      case StripeEvent.ASYNC_PAYMENT_FAILED -> markUnpaid(tx, event, session, CheckoutStatus.PAYMENT_FAILED);
      case StripeEvent.CHECKOUT_EXPIRED -> markUnpaid(tx, event, session, CheckoutStatus.EXPIRED);
      default -> Outcome.IGNORED;
    };
  }

  private Outcome fulfil(DSLContext tx, StripeEvent event, StripeEvent.CheckoutSession session) {
    Optional<CreditCheckoutsRecord> found = lockCheckout(tx, session);
    if (found.isEmpty()) {
      return unknown(event, session);
    }
    CreditCheckoutsRecord checkout = found.get();
    if (CheckoutStatus.PAID.name().equals(checkout.getStatus())) {
      return Outcome.ALREADY_CREDITED;
    }
    Optional<String> mismatch = mismatch(checkout, session);
    if (mismatch.isPresent()) {
      log.error("ALERT stripe event {} for session {} disagrees with checkout {}: {}; not credited",
          event.id(), session.id(), checkout.getId(), mismatch.get());
      return Outcome.MISMATCH;
    }
    LedgerEntry entry = credits.postPurchase(tx, checkout.getUserId(), new CreditAmount(checkout.getCredits()),
        session.id(), "Credit purchase: " + packageName(checkout));
    tx.update(CREDIT_CHECKOUTS)
        .set(CREDIT_CHECKOUTS.STATUS, CheckoutStatus.PAID.name())
        .set(CREDIT_CHECKOUTS.PAID_AT, DSL.currentOffsetDateTime())
        .set(CREDIT_CHECKOUTS.PURCHASE_ENTRY_ID, entry.id())
        .where(CREDIT_CHECKOUTS.ID.eq(checkout.getId()))
        .execute();
    return Outcome.CREDITED;
  }

  private Outcome awaitPayment(DSLContext tx, StripeEvent event, StripeEvent.CheckoutSession session) {
    return lockCheckout(tx, session).isPresent() ? Outcome.AWAITING_PAYMENT : unknown(event, session);
  }

  private Outcome markUnpaid(DSLContext tx, StripeEvent event, StripeEvent.CheckoutSession session,
      CheckoutStatus status) {
    Optional<CreditCheckoutsRecord> found = lockCheckout(tx, session);
    if (found.isEmpty()) {
      return unknown(event, session);
    }
    if (CheckoutStatus.PAID.name().equals(found.get().getStatus())) {
      log.error("ALERT stripe event {} reports {} for session {}, which was already paid and credited;"
          + " no automatic debit, review it in the Stripe dashboard", event.id(), event.type(), session.id());
      return Outcome.LATE_FAILURE;
    }
    tx.update(CREDIT_CHECKOUTS).set(CREDIT_CHECKOUTS.STATUS, status.name())
        .where(CREDIT_CHECKOUTS.ID.eq(found.get().getId())).execute();
    return status == CheckoutStatus.EXPIRED ? Outcome.EXPIRED : Outcome.PAYMENT_FAILED;
  }

  /**
   * Our checkout for the session, row-locked: by session id, or else by the checkout_id we put
   * in the session's metadata when the session id was never stored (the server stopped between
   * Stripe's answer and recording it); that path attaches the session id now.
   */
  private static Optional<CreditCheckoutsRecord> lockCheckout(DSLContext tx, StripeEvent.CheckoutSession session) {
    Optional<CreditCheckoutsRecord> bySession = tx.selectFrom(CREDIT_CHECKOUTS)
        .where(CREDIT_CHECKOUTS.STRIPE_SESSION_ID.eq(session.id()))
        .forUpdate()
        .fetchOptional();
    if (bySession.isPresent() || session.checkoutId().isEmpty()) {
      return bySession;
    }
    Optional<UUID> checkoutId = Ids.parse(session.checkoutId().get());
    if (checkoutId.isEmpty()) {
      return Optional.empty();
    }
    Optional<CreditCheckoutsRecord> byMetadata = tx.selectFrom(CREDIT_CHECKOUTS)
        .where(CREDIT_CHECKOUTS.ID.eq(checkoutId.get()), CREDIT_CHECKOUTS.STRIPE_SESSION_ID.isNull())
        .forUpdate()
        .fetchOptional();
    byMetadata.ifPresent(checkout -> {
      String status = CheckoutStatus.CREATING.name().equals(checkout.getStatus())
          || CheckoutStatus.CREATE_FAILED.name().equals(checkout.getStatus())
          ? CheckoutStatus.OPEN.name() : checkout.getStatus();
      tx.update(CREDIT_CHECKOUTS)
          .set(CREDIT_CHECKOUTS.STRIPE_SESSION_ID, session.id())
          .set(CREDIT_CHECKOUTS.STATUS, status)
          .where(CREDIT_CHECKOUTS.ID.eq(checkout.getId()))
          .execute();
      checkout.setStripeSessionId(session.id());
      checkout.setStatus(status);
    });
    return byMetadata;
  }

  private static Optional<String> mismatch(CreditCheckoutsRecord checkout, StripeEvent.CheckoutSession session) {
    if (session.clientReferenceId().isPresent()
        && !session.clientReferenceId().get().equals(checkout.getUserId().toString())) {
      return Optional.of("client_reference_id names another user");
    }
    if (session.amountTotal().isPresent() && session.amountTotal().getAsLong() != checkout.getPriceCents()) {
      return Optional.of("amount_total " + session.amountTotal().getAsLong() + " != price " + checkout.getPriceCents());
    }
    if (session.currency().isPresent() && !session.currency().get().equalsIgnoreCase(checkout.getCurrency())) {
      return Optional.of("currency " + session.currency().get() + " != " + checkout.getCurrency());
    }
    return Optional.empty();
  }

  private static Outcome unknown(StripeEvent event, StripeEvent.CheckoutSession session) {
    log.warn("stripe event {} ({}) names session {}, which no checkout of this server created; recorded, nothing credited",
        event.id(), event.type(), session.id());
    return Outcome.UNKNOWN_SESSION;
  }

  private static String packageName(CreditCheckoutsRecord checkout) {
    return CreditPackages.ALL.stream().filter(pkg -> pkg.id().equals(checkout.getPackageId()))
        .map(CreditPackage::name).findFirst()
        .orElse(new CreditAmount(checkout.getCredits()).toWire() + " credits");
  }

}
