package com.rendertrust.server.payments;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.net.Webhook;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Checks a {@code stripe-signature} header ({@code t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "t.body">}) against the raw body with stripe-java, within a 300 s tolerance both ways (stripe-java
 * rejects only stale timestamps; one far in the future is rejected here). Any configured secret
 * may match, so a webhook secret can be rotated without dropping events.
 */
public final class StripeSignatureVerifier {

  public static final long TOLERANCE_SECONDS = 300;
  /** Far above a real header (a few signatures of 64 hex digits); bounds the work on junk input. */
  private static final int MAX_HEADER_LENGTH = 4096;

  private final List<String> secrets;
  private final Clock clock;

  public StripeSignatureVerifier(List<String> secrets, Clock clock) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one webhook secret is required");
    }
    this.secrets = List.copyOf(secrets);
    this.clock = clock;
  }

  /** Returns normally when the header is a valid, fresh signature of {@code payload}; 400 WEBHOOK_SIGNATURE_INVALID otherwise. */
  public void verify(String payload, Optional<String> header) {
    String signature = header.map(String::strip).filter(value -> !value.isEmpty())
        .orElseThrow(() -> invalid("missing stripe-signature header"));
    if (signature.length() > MAX_HEADER_LENGTH) {
      throw invalid("invalid stripe-signature header");
    }
    long timestamp = timestampOf(signature);
    if (timestamp > clock.instant().getEpochSecond() + TOLERANCE_SECONDS) {
      throw invalid("stripe-signature timestamp is outside the tolerance");
    }
    SignatureVerificationException last = null;
    for (String secret : secrets) {
      try {
        Webhook.Signature.verifyHeader(payload, signature, secret, TOLERANCE_SECONDS, clock);
        return;
      } catch (SignatureVerificationException e) {
        last = e;
      }
    }
    String message = last != null && last.getMessage() != null && last.getMessage().contains("tolerance")
        ? "stripe-signature timestamp is outside the tolerance"
        : "stripe-signature does not match the body";
    throw invalid(message);
  }

  private static long timestampOf(String signature) {
    for (String part : signature.split(",")) {
      String item = part.strip();
      if (item.startsWith("t=")) {
        try {
          return Long.parseLong(item.substring(2));
        } catch (NumberFormatException e) {
          throw invalid("invalid stripe-signature header");
        }
      }
    }
    throw invalid("invalid stripe-signature header");
  }

  private static DomainException invalid(String detail) {
    return new DomainException(Reason.WEBHOOK_SIGNATURE_INVALID, detail);
  }
}
