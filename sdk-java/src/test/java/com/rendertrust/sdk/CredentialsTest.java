package com.rendertrust.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CredentialsTest {

  private static String jwtExpiringAt(long epochSeconds) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"EdDSA\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(("{\"sub\":\"u\",\"exp\":" + epochSeconds + "}").getBytes(StandardCharsets.UTF_8))
        + ".sig";
  }

  @Test
  void schedulesRefreshFromTheTokensExpiry() {
    Credentials credentials = new Credentials();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    credentials.useTokens(new Tokens(jwtExpiringAt(now.getEpochSecond() + 30), "refresh"));
    assertThat(credentials.accessExpiresWithin(60, now)).isTrue();
    credentials.useTokens(new Tokens(jwtExpiringAt(now.getEpochSecond() + 1800), "refresh"));
    assertThat(credentials.accessExpiresWithin(60, now)).isFalse();
    assertThat(credentials.canRefresh()).isTrue();
  }

  @Test
  void sendsBearerOrApiKeyNeverBoth() {
    Credentials credentials = new Credentials();
    credentials.useTokens(new Tokens("access", "refresh"));
    Metadata bearer = new Metadata();
    credentials.apply(bearer);
    assertThat(bearer.get(Credentials.AUTHORIZATION)).isEqualTo("Bearer access");
    assertThat(bearer.get(Credentials.API_KEY)).isNull();

    credentials.useApiKey("rt_live_x");
    Metadata key = new Metadata();
    credentials.apply(key);
    assertThat(key.get(Credentials.API_KEY)).isEqualTo("rt_live_x");
    assertThat(key.get(Credentials.AUTHORIZATION)).isNull();
    assertThat(credentials.canRefresh()).isFalse();
  }

  @Test
  void tokensNeverPrintThemselves() {
    assertThat(new Tokens("secret-access", "secret-refresh").toString()).doesNotContain("secret");
  }
}
