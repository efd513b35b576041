package com.rendertrust.server.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An independent AWS Signature Version 4 check of presigned (query-string) URLs, written from
 * the AWS documentation and checked against its published example (SigV4Test), so tests can
 * tell whether the SDK's presigned requests really sign what they claim to.
 */
public final class SigV4 {

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private SigV4() {
  }

  /** The query parameters of {@code url}, decoded. */
  public static Map<String, String> query(URI url) {
    Map<String, String> params = new TreeMap<>();
    if (url.getRawQuery() == null) {
      return params;
    }
    for (String pair : url.getRawQuery().split("&")) {
      String[] parts = pair.split("=", 2);
      params.put(decode(parts[0]), parts.length > 1 ? decode(parts[1]) : "");
    }
    return params;
  }

  /** The signed header names of a presigned URL, lowercase. */
  public static List<String> signedHeaders(URI url) {
    return Arrays.asList(query(url).getOrDefault("X-Amz-SignedHeaders", "").split(";"));
  }

  /**
   * The signature a request with this method, URL and headers must carry, with the secret key
   * {@code secret}. {@code header} returns a header's value as sent (null if absent).
   */
  public static String expectedSignature(String method, URI url, Function<String, String> header, String secret) {
    Map<String, String> params = query(url);
    String canonicalQuery = params.entrySet().stream()
        .filter(entry -> !entry.getKey().equals("X-Amz-Signature"))
        .map(entry -> encode(entry.getKey()) + "=" + encode(entry.getValue()))
        .sorted()
        .collect(Collectors.joining("&"));
    List<String> signed = signedHeaders(url);
    StringBuilder canonicalHeaders = new StringBuilder();
    for (String name : signed) {
      String value = header.apply(name);
      canonicalHeaders.append(name).append(':').append(value == null ? "" : value.strip().replaceAll(" +", " "))
          .append('\n');
    }
    String payload = params.getOrDefault("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
    String canonicalRequest = method + "\n" + url.getRawPath() + "\n" + canonicalQuery + "\n" + canonicalHeaders
        + "\n" + String.join(";", signed) + "\n" + payload;
    String[] credential = params.get("X-Amz-Credential").split("/", 2);
    String scope = credential[1];
    String[] scopeParts = scope.split("/");
    String stringToSign = "AWS4-HMAC-SHA256\n" + params.get("X-Amz-Date") + "\n" + scope + "\n"
        + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), scopeParts[0]);
    key = hmac(key, scopeParts[1]);
    key = hmac(key, scopeParts[2]);
    key = hmac(key, scopeParts[3]);
    return hex(hmac(key, stringToSign));
  }

  /** Whether the URL's signature is right and it has not expired at {@code now}. */
  public static boolean verify(String method, URI url, Function<String, String> header, String secret, Instant now) {
    Map<String, String> params = query(url);
    if (!params.containsKey("X-Amz-Signature") || !params.containsKey("X-Amz-Credential")) {
      return false;
    }
    Instant signedAt = AMZ_DATE.parse(params.get("X-Amz-Date"), Instant::from);
    if (now.isAfter(signedAt.plusSeconds(Long.parseLong(params.get("X-Amz-Expires"))))) {
      return false;
    }
    return MessageDigest.isEqual(expectedSignature(method, url, header, secret).getBytes(StandardCharsets.US_ASCII),
        params.get("X-Amz-Signature").getBytes(StandardCharsets.US_ASCII));
  }

  /** AWS URI encoding: everything but unreserved characters, upper-case hex. */
  static String encode(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.' || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
