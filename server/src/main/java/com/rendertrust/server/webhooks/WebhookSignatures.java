package com.rendertrust.server.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signing secrets and the {@code RenderTrust-Signature} header: {@code t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>}, one {@code v1=} per secret in force (two while a
 * rotated-out secret is still valid). The key is the whole secret string, prefix included, as
 * UTF-8 bytes, so a receiver needs nothing but the secret it was shown.
 */
public final class WebhookSignatures {

  public static final String SECRET_PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignatures() {
  }

  /** A new secret: "whsec_" and 32 random bytes, base64url without padding. */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A new event id: "evt_" and 16 random bytes in hex. */
  public static String newEventId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return "evt_" + HexFormat.of().formatHex(bytes);
  }

  /** The header value for {@code body} sent at {@code unixSeconds}, signed by each of {@code secrets}. */
  public static String header(long unixSeconds, byte[] body, List<String> secrets) {
    StringBuilder header = new StringBuilder("t=").append(unixSeconds);
    for (String secret : secrets) {
      header.append(",v1=").append(hmacHex(secret, unixSeconds, body));
    }
    return header.toString();
  }

  static String hmacHex(String secret, long unixSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
