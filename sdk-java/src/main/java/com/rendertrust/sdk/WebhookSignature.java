package com.rendertrust.sdk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the {@code RenderTrust-Signature} header of a webhook delivery in a receiver:
 * {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>}. During a secret
 * rotation the header carries one {@code v1=} per secret in force; any one matching the secret
 * the receiver holds is enough. Verify the raw body bytes as received, before parsing them.
 *
 * <pre>{@code
 * if (!WebhookSignature.verify(secret, exchange.getRequestHeaders().getFirst("RenderTrust-Signature"),
 *     body, Duration.ofMinutes(5))) {
 *   // answer 400 and ignore the request
 * }
 * }</pre>
 */
public final class WebhookSignature {

  private WebhookSignature() {
  }

  /**
   * True when {@code header} signs {@code body} with {@code secret} (the whole "whsec_..." string)
   * and its timestamp is within {@code tolerance} of now (either side), so an old request replayed
   * later is refused. False for a missing or malformed header.
   */
  public static boolean verify(String secret, String header, byte[] body, Duration tolerance) {
    return verify(secret, header, body, tolerance, Instant.now());
  }

  /** The same for a body already read as a (UTF-8) string. */
  public static boolean verify(String secret, String header, String body, Duration tolerance) {
    return verify(secret, header, body.getBytes(StandardCharsets.UTF_8), tolerance, Instant.now());
  }

  /** As {@link #verify(String, String, byte[], Duration)}, with the receiver's notion of now. */
  public static boolean verify(String secret, String header, byte[] body, Duration tolerance, Instant now) {
    if (secret == null || secret.isEmpty() || header == null || body == null) {
      return false;
    }
    Long timestamp = null;
    java.util.List<String> signatures = new java.util.ArrayList<>();
    for (String part : header.split(",")) {
      int equals = part.indexOf('=');
      if (equals < 0) {
        continue;
      }
      String key = part.substring(0, equals).strip();
      String value = part.substring(equals + 1).strip();
      if (key.equals("t")) {
        try {
          timestamp = Long.parseLong(value);
        } catch (NumberFormatException e) {
          return false;
        }
      } else if (key.equals("v1")) {
        signatures.add(value);
      }
    }
    if (timestamp == null || signatures.isEmpty()) {
      return false;
    }
    long skew = Math.abs(now.getEpochSecond() - timestamp);
    if (skew > tolerance.toSeconds()) {
      return false;
    }
    byte[] expected = HexFormat.of().formatHex(hmac(secret, timestamp, body)).getBytes(StandardCharsets.US_ASCII);
    boolean matched = false;
    for (String signature : signatures) {
      // every candidate is compared in constant time, and all of them are compared
      matched |= MessageDigest.isEqual(expected, signature.toLowerCase(java.util.Locale.ROOT)
          .getBytes(StandardCharsets.US_ASCII));
    }
    return matched;
  }

  /** The header a sender with {@code secret} would send at {@code unixSeconds}; for tests of receivers. */
  public static String sign(String secret, long unixSeconds, byte[] body) {
    return "t=" + unixSeconds + ",v1=" + HexFormat.of().formatHex(hmac(secret, unixSeconds, body));
  }

  private static byte[] hmac(String secret, long unixSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
