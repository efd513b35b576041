package com.rendertrust.server.testing;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds Stripe events and signs them locally exactly as Stripe does (independently of
 * stripe-java): {@code stripe-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>}.
 */
public final class StripeWebhooks {

  public static final String SECRET = "whsec_test_rendertrust_local_secret";

  private StripeWebhooks() {
  }

  public static String sign(String body, String secret, Instant at) {
    long t = at.getEpochSecond();
    return "t=" + t + ",v1=" + hmac(secret, t + "." + body);
  }

  /** As {@link #sign(String, String, Instant)} over exact bytes (which need not be valid UTF-8). */
  public static String sign(byte[] body, String secret, Instant at) {
    long t = at.getEpochSecond();
    byte[] prefix = (t + ".").getBytes(StandardCharsets.US_ASCII);
    byte[] message = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(body, 0, message, prefix.length, body.length);
    return "t=" + t + ",v1=" + hmac(secret, message);
  }

  public static String sign(String body) {
    return sign(body, SECRET, Instant.now());
  }

  /** A checkout.session.* event; {@code extraSessionFields} is spliced into data.object (may be ""). */
  public static String sessionEvent(String eventId, String type, String sessionId, String paymentStatus,
      String extraSessionFields) {
    return """
        {"id":"%s","object":"event","api_version":"2020-08-27","created":%d,"livemode":false,"type":"%s",
         "data":{"object":{"id":"%s","object":"checkout.session","mode":"payment","payment_status":"%s"%s}}}"""
        .formatted(eventId, Instant.now().getEpochSecond(), type, sessionId, paymentStatus,
            extraSessionFields.isEmpty() ? "" : "," + extraSessionFields);
  }

  public static String completedPaid(String eventId, String sessionId) {
    return sessionEvent(eventId, "checkout.session.completed", sessionId, "paid", "");
  }

  private static String hmac(String secret, String message) {
    return hmac(secret, message.getBytes(StandardCharsets.UTF_8));
  }

  private static String hmac(String secret, byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }
}
