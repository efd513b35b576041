package com.rendertrust.server.storage;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of the local store's URLs. A signature covers the HTTP method, the
 * object key and the expiry, so a download URL cannot be turned into an upload URL, moved to
 * another key or extended; an upload URL of a declared size also covers that size, so it cannot
 * be stretched to accept more bytes. (Keys never contain a newline, so the two message forms
 * cannot be confused.)
 */
final class BlobUrlSigner {

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  /** Initialised once with the key; each signature uses a clone (a lookup and a key setup per URL cost more than the hash). */
  private final Mac prototype;

  BlobUrlSigner(byte[] secret) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the URL signing key needs at least 32 bytes");
    }
    this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    this.prototype = newMac();
  }

  String sign(String method, String objectKey, long expiresEpochSeconds) {
    return hmac(method + "\n" + objectKey + "\n" + expiresEpochSeconds);
  }

  /** The signature of a URL that accepts at most {@code sizeBytes} bytes. */
  String sign(String method, String objectKey, long expiresEpochSeconds, long sizeBytes) {
    return hmac(method + "\n" + objectKey + "\n" + expiresEpochSeconds + "\n" + sizeBytes);
  }

  /** Constant-time comparison, so a forger learns nothing from response times. */
  boolean verify(String method, String objectKey, long expiresEpochSeconds, String signature) {
    return equal(sign(method, objectKey, expiresEpochSeconds), signature);
  }

  boolean verify(String method, String objectKey, long expiresEpochSeconds, long sizeBytes, String signature) {
    return equal(sign(method, objectKey, expiresEpochSeconds, sizeBytes), signature);
  }

  private static boolean equal(String expected, String signature) {
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII));
  }

  private String hmac(String message) {
    Mac mac;
    try {
      mac = (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      mac = newMac(); // a provider whose Mac cannot be cloned
    }
    return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
