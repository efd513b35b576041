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
 * another key or extended.
 */
final class BlobUrlSigner {

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  BlobUrlSigner(byte[] secret) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the URL signing key needs at least 32 bytes");
    }
    this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
  }

  String sign(String method, String objectKey, long expiresEpochSeconds) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      byte[] digest = mac.doFinal((method + "\n" + objectKey + "\n" + expiresEpochSeconds)
          .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** Constant-time comparison, so a forger learns nothing from response times. */
  boolean verify(String method, String objectKey, long expiresEpochSeconds, String signature) {
    byte[] expected = sign(method, objectKey, expiresEpochSeconds).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
  }
}
