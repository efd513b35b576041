package com.rendertrust.server.payments;

import com.rendertrust.server.platform.config.StripeConfig;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.RequestOptions;
import com.stripe.param.checkout.SessionCreateParams;

/**
 * Creates Checkout sessions through one {@link StripeClient} instance (no static Stripe
 * globals), against the configured API base. Network failures are retried by the client with
 * the same idempotency key, so Stripe creates the session at most once.
 */
public final class StripeCheckoutGateway implements CheckoutGateway {

  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int READ_TIMEOUT_MS = 15_000;
  private static final int NETWORK_RETRIES = 2;

  private final StripeClient client;
  private final StripeConfig config;

  public StripeCheckoutGateway(StripeConfig config) {
    this.config = config;
    this.client = StripeClient.builder()
        .setApiKey(config.secretKey().orElseThrow(() -> new IllegalArgumentException("no Stripe secret key")))
        .setApiBase(config.apiBase().toString().replaceAll("/+$", ""))
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        .setReadTimeout(READ_TIMEOUT_MS)
        .setMaxNetworkRetries(NETWORK_RETRIES)
        .build();
  }

  @Override
  public Session createSession(SessionRequest request) {
    CreditPackage pkg = request.creditPackage();
    SessionCreateParams params = SessionCreateParams.builder()
        .setMode(SessionCreateParams.Mode.PAYMENT)
        .setClientReferenceId(request.userId().toString())
        .setSuccessUrl(config.checkoutSuccessUrl())
        .setCancelUrl(config.checkoutCancelUrl())
        .putMetadata("checkout_id", request.checkoutId().toString())
        .putMetadata("package_id", pkg.id())
        .addLineItem(SessionCreateParams.LineItem.builder()
            .setQuantity(1L)
            .setPriceData(SessionCreateParams.LineItem.PriceData.builder()
                .setCurrency(pkg.currency())
                .setUnitAmount((long) pkg.priceCents())
                .setProductData(SessionCreateParams.LineItem.PriceData.ProductData.builder()
                    .setName("RenderTrust " + pkg.name())
                    .build())
                .build())
            .build())
        .build();
    RequestOptions options = RequestOptions.builder().setIdempotencyKey(request.idempotencyKey()).build();
    try {
      com.stripe.model.checkout.Session session = client.v1().checkout().sessions().create(params, options);
      if (session.getId() == null || session.getUrl() == null) {
        throw new PaymentProviderException("Stripe answered a session without id or url", null);
      }
      return new Session(session.getId(), session.getUrl());
    } catch (StripeException e) {
      throw new PaymentProviderException("Stripe refused or failed the Checkout session (status "
          + e.getStatusCode() + ", code " + e.getCode() + ", request " + e.getRequestId() + ")", e);
    } catch (RuntimeException e) {
      if (e instanceof PaymentProviderException) {
        throw e;
      }
      throw new PaymentProviderException("Stripe client failure", e);
    }
  }
}
