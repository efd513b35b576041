package com.rendertrust.sdk;

import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the client authenticates with: nothing, a token pair, or an API key. Thread-safe. */
final class Credentials {

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  private static final Pattern EXP = Pattern.compile("\"exp\"\\s*:\\s*(\\d+)");

  private Tokens tokens;
  private Instant accessExpiresAt;
  private String apiKey;

  synchronized void useTokens(Tokens newTokens) {
    tokens = newTokens;
    accessExpiresAt = expiryOf(newTokens.accessToken());
    apiKey = null;
  }

  synchronized void useApiKey(String key) {
    apiKey = key;
    tokens = null;
    accessExpiresAt = null;
  }

  synchronized void clear() {
    tokens = null;
    accessExpiresAt = null;
    apiKey = null;
  }

  synchronized Tokens tokens() {
    return tokens;
  }

  synchronized boolean canRefresh() {
    return tokens != null && tokens.refreshToken() != null && !tokens.refreshToken().isEmpty();
  }

  /** True when the access token expires within {@code marginSeconds}. */
  synchronized boolean accessExpiresWithin(long marginSeconds, Instant now) {
    return tokens != null && accessExpiresAt != null && accessExpiresAt.minusSeconds(marginSeconds).isBefore(now);
  }

  synchronized void apply(Metadata headers) {
    if (apiKey != null) {
      headers.put(API_KEY, apiKey);
    } else if (tokens != null) {
      headers.put(AUTHORIZATION, "Bearer " + tokens.accessToken());
    }
  }

  /** Reads {@code exp} from the token's payload without verifying it: only to schedule a refresh. */
  static Instant expiryOf(String jwt) {
    String[] parts = jwt == null ? new String[0] : jwt.split("\\.");
    if (parts.length < 2) {
      return null;
    }
    try {
      String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      Matcher exp = EXP.matcher(payload);
      return exp.find() ? Instant.ofEpochSecond(Long.parseLong(exp.group(1))) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
