package com.rendertrust.server.payments;

import static com.rendertrust.server.db.Tables.CREDIT_CHECKOUTS;

import com.rendertrust.server.credits.CreditShop;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sells credit packages through Stripe Checkout. Every attempt is recorded before Stripe is
 * called (status CREATING, its id doubling as Stripe's idempotency key and as the session's
 * {@code checkout_id} metadata), so a session Stripe created can always be matched to the user
 * and package it was for, even if recording its id afterwards fails. The webhook credits a paid
 * session from this record only.
 */
public final class CheckoutService implements CreditShop {

  private static final Logger log = LoggerFactory.getLogger(CheckoutService.class);

  private final Transactions transactions;
  private final Optional<CheckoutGateway> gateway;
  private final CheckoutRateLimiter rateLimiter;

  /** {@code gateway} empty: payments are not configured on this server (503 PAYMENTS_NOT_CONFIGURED). */
  public CheckoutService(DSLContext dsl, Optional<CheckoutGateway> gateway, CheckoutRateLimiter rateLimiter) {
    this.transactions = new Transactions(dsl);
    this.gateway = gateway;
    this.rateLimiter = rateLimiter;
  }

  @Override
  public List<Offer> packages() {
    return CreditPackages.ALL.stream()
        .map(pkg -> new Offer(pkg.id(), pkg.name(), pkg.credits(), pkg.priceCents(), pkg.currency()))
        .toList();
  }

  /**
   * Starts a Checkout session for one package, in this order so a refused request never
   * reaches Stripe: 422 UNKNOWN_PACKAGE, 503 PAYMENTS_NOT_CONFIGURED, 429 RATE_LIMITED; then
   * 503 DEPENDENCY_UNAVAILABLE when Stripe fails.
   */
  @Override
  public Checkout start(UUID userId, String packageId) {
    CreditPackage pkg = CreditPackages.require(packageId);
    CheckoutGateway stripe = gateway.orElseThrow(() -> new DomainException(Reason.PAYMENTS_NOT_CONFIGURED,
        "payments are not configured on this server (no Stripe secret key)"));
    rateLimiter.acquire(userId);

    UUID checkoutId = UUID.randomUUID();
    transactions.inTransaction(tx -> tx.insertInto(CREDIT_CHECKOUTS)
        .set(CREDIT_CHECKOUTS.ID, checkoutId)
        .set(CREDIT_CHECKOUTS.USER_ID, userId)
        .set(CREDIT_CHECKOUTS.PACKAGE_ID, pkg.id())
        .set(CREDIT_CHECKOUTS.CREDITS, pkg.credits().units())
        .set(CREDIT_CHECKOUTS.PRICE_CENTS, pkg.priceCents())
        .set(CREDIT_CHECKOUTS.CURRENCY, pkg.currency())
        .set(CREDIT_CHECKOUTS.STATUS, CheckoutStatus.CREATING.name())
        .execute());

    CheckoutGateway.Session session;
    try {
      session = stripe.createSession(
          new CheckoutGateway.SessionRequest(checkoutId, userId, pkg, "rendertrust-checkout-" + checkoutId));
    } catch (CheckoutGateway.PaymentProviderException e) {
      log.error("checkout {} failed at the payment provider: {}", checkoutId, e.getMessage(), e.getCause());
      transactions.inTransaction(tx -> tx.update(CREDIT_CHECKOUTS)
          .set(CREDIT_CHECKOUTS.STATUS, CheckoutStatus.CREATE_FAILED.name())
          .where(CREDIT_CHECKOUTS.ID.eq(checkoutId), CREDIT_CHECKOUTS.STATUS.eq(CheckoutStatus.CREATING.name()))
          .execute());
      throw DomainException.unavailable("the payment provider is unavailable, try again later");
    }
    // Only a CREATING row takes the session id: a webhook may already have found this checkout
    // through its checkout_id metadata and attached the id itself.
    transactions.inTransaction(tx -> tx.update(CREDIT_CHECKOUTS)
        .set(CREDIT_CHECKOUTS.STRIPE_SESSION_ID, session.id())
        .set(CREDIT_CHECKOUTS.STATUS, CheckoutStatus.OPEN.name())
        .where(CREDIT_CHECKOUTS.ID.eq(checkoutId), CREDIT_CHECKOUTS.STATUS.eq(CheckoutStatus.CREATING.name()))
        .execute());
    log.info("checkout {} opened Stripe session {} for {} ({})", checkoutId, session.id(), pkg.id(), userId);
    return new Checkout(session.url(), session.id());
  }
}
