package com.rendertrust.server.payments;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a {@code stripe-signature} header ({@code t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "t.body">}) against the raw body bytes, within a 300 s tolerance both ways, as Stripe documents it
 * (stripe-java's helper takes the body as a String, i.e. decoded text, so it is not used). Any configured secret
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

  /** As {@link #verify(byte[], Optional)} for a body given as text (its UTF-8 bytes). */
  public void verify(String payload, Optional<String> header) {
    verify(payload.getBytes(StandardCharsets.UTF_8), header);
  }

  /**
   * Returns normally when the header is a valid, fresh signature of exactly these bytes; 400
   * WEBHOOK_SIGNATURE_INVALID otherwise. The HMAC covers the raw bytes as received, never a
   * decoded text: decoding would map different invalid UTF-8 bytes to the same U+FFFD, so a
   * signature would verify bodies Stripe never signed.
   */
  public void verify(byte[] payload, Optional<String> header) {
    String signature = header.map(String::strip).filter(value -> !value.isEmpty())
        .orElseThrow(() -> invalid("missing stripe-signature header"));
    if (signature.length() > MAX_HEADER_LENGTH) {
      throw invalid("invalid stripe-signature header");
    }
    long timestamp = timestampOf(signature);
    long now = clock.instant().getEpochSecond();
    if (timestamp > now + TOLERANCE_SECONDS) {
      throw invalid("stripe-signature timestamp is outside the tolerance");
    }
    List<byte[]> candidates = signaturesOf(signature);
    boolean matched = false;
    for (String secret : secrets) {
      byte[] expected = hmac(secret, timestamp, payload);
      for (byte[] candidate : candidates) {
        matched |= MessageDigest.isEqual(expected, candidate);
      }
    }
    if (!matched) {
      throw invalid("stripe-signature does not match the body");
    }
    if (timestamp < now - TOLERANCE_SECONDS) {
      throw invalid("stripe-signature timestamp is outside the tolerance");
    }
  }

  /** The {@code v1} signatures of the header (other schemes are ignored, as Stripe specifies). */
  private static List<byte[]> signaturesOf(String signature) {
    List<byte[]> signatures = new ArrayList<>();
    for (String part : signature.split(",")) {
      String item = part.strip();
      if (item.startsWith("v1=")) {
        try {
          signatures.add(HexFormat.of().parseHex(item.substring(3)));
        } catch (IllegalArgumentException e) {
          // not hex: matches nothing
        }
      }
    }
    return signatures;
  }

  /** HMAC-SHA256(secret, "{t}." + body bytes). */
  private static byte[] hmac(String secret, long timestamp, byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(payload);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
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
