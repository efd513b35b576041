package com.rendertrust.server.nodes;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Ed25519 public keys as nodes send them (PEM, X.509 SubjectPublicKeyInfo) and the challenge
 * signatures made with them, using only the JDK's Ed25519 (RFC 8032).
 */
public final class NodeKeys {

  /** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final int RAW_KEY_LENGTH = 32;
  private static final int MAX_PEM_LENGTH = 1000;
  private static final Pattern PEM = Pattern.compile(
      "\\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----\\s*");
  private static final Pattern SIGNATURE_HEX = Pattern.compile("[0-9a-fA-F]{128}");

  /**
   * Encodings of the points of small order (libsodium's blocklist, compared without the sign
   * bit): a signature "valid" for such a key proves nothing about a private key.
   */
  private static final List<byte[]> SMALL_ORDER_POINTS = List.of(
      HexFormat.of().parseHex("0000000000000000000000000000000000000000000000000000000000000000"),
      HexFormat.of().parseHex("0100000000000000000000000000000000000000000000000000000000000000"),
      HexFormat.of().parseHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
      HexFormat.of().parseHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
      HexFormat.of().parseHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
      HexFormat.of().parseHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
      HexFormat.of().parseHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));

  private NodeKeys() {
  }

  /** The raw 32-byte key, hex: the node's identity. 422 for anything but a usable Ed25519 PEM. */
  public static String rawKeyHex(String pem) {
    byte[] raw = rawKey(pem);
    return HexFormat.of().formatHex(raw);
  }

  static byte[] rawKey(String pem) {
    if (pem == null || pem.length() > MAX_PEM_LENGTH) {
      throw invalidKey();
    }
    var matcher = PEM.matcher(pem);
    if (!matcher.matches()) {
      throw invalidKey();
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(matcher.group(1).replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw invalidKey();
    }
    if (der.length != SPKI_PREFIX.length + RAW_KEY_LENGTH
        || !Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      throw invalidKey();
    }
    try {
      KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw invalidKey();
    }
    byte[] raw = Arrays.copyOfRange(der, SPKI_PREFIX.length, der.length);
    if (isSmallOrder(raw)) {
      throw invalidKey();
    }
    return raw;
  }

  /**
   * The key's thumbprint as node tokens name it: lowercase hex SHA-256 of the raw 32-byte key
   * (given as hex, as {@link #rawKeyHex} returns it).
   */
  public static String thumbprint(String rawKeyHex) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(rawKeyHex)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Whether {@code signatureHex} is well-formed hex of 64 bytes. */
  public static boolean isSignatureShaped(String signatureHex) {
    return signatureHex != null && SIGNATURE_HEX.matcher(signatureHex).matches();
  }

  /**
   * Whether {@code signatureHex} is an Ed25519 signature by {@code rawKeyHex} over the ASCII
   * bytes of {@code challenge} (the 64 hex characters, not the bytes they encode).
   */
  public static boolean verifies(String rawKeyHex, String challenge, String signatureHex) {
    if (!isSignatureShaped(signatureHex)) {
      return false;
    }
    try {
      byte[] der = new byte[SPKI_PREFIX.length + RAW_KEY_LENGTH];
      System.arraycopy(SPKI_PREFIX, 0, der, 0, SPKI_PREFIX.length);
      System.arraycopy(HexFormat.of().parseHex(rawKeyHex), 0, der, SPKI_PREFIX.length, RAW_KEY_LENGTH);
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(challenge.getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(HexFormat.of().parseHex(signatureHex));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean isSmallOrder(byte[] raw) {
    for (byte[] point : SMALL_ORDER_POINTS) {
      boolean same = Arrays.equals(raw, 0, RAW_KEY_LENGTH - 1, point, 0, RAW_KEY_LENGTH - 1)
          && (raw[RAW_KEY_LENGTH - 1] & 0x7f) == (point[RAW_KEY_LENGTH - 1] & 0x7f);
      if (same) {
        return true;
      }
    }
    return false;
  }

  private static DomainException invalidKey() {
    return new DomainException(Reason.VALIDATION_FAILED,
        "public_key must be an Ed25519 public key in PEM (-----BEGIN PUBLIC KEY-----, X.509 SubjectPublicKeyInfo)",
        Map.of("field", "public_key"));
  }
}
