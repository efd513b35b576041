package com.rendertrust.server.platform.config;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Stripe settings. Checkout needs {@code secretKey}; the webhook needs at least one
 * {@code webhookSecrets} entry (two while rotating: events signed with either verify).
 * {@code apiBase} points the client at Stripe, or at a local fake in tests.
 */
public record StripeConfig(
    Optional<String> secretKey,
    List<String> webhookSecrets,
    URI apiBase,
    String checkoutSuccessUrl,
    String checkoutCancelUrl) {

  public static final URI STRIPE_API = URI.create("https://api.stripe.com");

  public StripeConfig {
    Objects.requireNonNull(secretKey, "secretKey");
    webhookSecrets = List.copyOf(webhookSecrets);
    Objects.requireNonNull(apiBase, "apiBase");
    if (!"https".equals(apiBase.getScheme()) && !"http".equals(apiBase.getScheme())) {
      throw new IllegalArgumentException("RT_STRIPE_API_BASE must be an http(s) URL, got " + apiBase);
    }
    requireHttpUrl("RT_CHECKOUT_SUCCESS_URL", checkoutSuccessUrl);
    requireHttpUrl("RT_CHECKOUT_CANCEL_URL", checkoutCancelUrl);
  }

  public static StripeConfig disabled() {
    return new StripeConfig(Optional.empty(), List.of(), STRIPE_API,
        "http://localhost:8000/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "http://localhost:8000/checkout/cancel");
  }

  public boolean checkoutEnabled() {
    return secretKey.isPresent();
  }

  public boolean webhookEnabled() {
    return !webhookSecrets.isEmpty();
  }

  /** Live keys take live events only, test keys test events only. */
  public Optional<Boolean> liveMode() {
    return secretKey.map(key -> key.startsWith("sk_live_") || key.startsWith("rk_live_"));
  }

  public StripeConfig withSecretKey(String key) {
    return new StripeConfig(Optional.of(key), webhookSecrets, apiBase, checkoutSuccessUrl, checkoutCancelUrl);
  }

  public StripeConfig withWebhookSecrets(List<String> secrets) {
    return new StripeConfig(secretKey, secrets, apiBase, checkoutSuccessUrl, checkoutCancelUrl);
  }

  public StripeConfig withApiBase(URI base) {
    return new StripeConfig(secretKey, webhookSecrets, base, checkoutSuccessUrl, checkoutCancelUrl);
  }

  private static void requireHttpUrl(String name, String url) {
    Objects.requireNonNull(url, name);
    URI uri;
    try {
      uri = URI.create(url.replace("{CHECKOUT_SESSION_ID}", "x"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be an http(s) URL, got '" + url + "'");
    }
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException(name + " must be an http(s) URL, got '" + url + "'");
    }
  }

  /** Never prints the key or the webhook secrets, only whether they are set. */
  @Override
  public String toString() {
    return "StripeConfig[secretKey=" + secretKey.map(key -> key.startsWith("sk_live_") ? "<live>" : "<set>").orElse("<none>")
        + ", webhookSecrets=" + webhookSecrets.size() + ", apiBase=" + apiBase
        + ", checkoutSuccessUrl=" + checkoutSuccessUrl + ", checkoutCancelUrl=" + checkoutCancelUrl + "]";
  }
}
