package com.rendertrust.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

  private static final String SECRET = "whsec_test_secret";
  private static final byte[] BODY = "{\"id\":\"evt_1\",\"type\":\"webhook.test\"}".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);
  private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

  @Test
  void aHeaderSignedWithTheSecretVerifies() {
    String header = WebhookSignature.sign(SECRET, NOW.getEpochSecond(), BODY);
    assertThat(header).matches("t=1800000000,v1=[0-9a-f]{64}");
    assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW)).isTrue();
  }

  @Test
  void aKnownVectorVerifies() {
    // printf '1800000000.<BODY>' | openssl dgst -sha256 -hmac whsec_test_secret
    String header = "t=1800000000,v1=32c41ddf9bbbdac2e1ceaf20c31b77dfaef2b843aede0b00fed606b6c2cda13e";
    assertThat(WebhookSignature.sign(SECRET, 1_800_000_000L, BODY)).isEqualTo(header);
    assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW)).isTrue();
  }

  @Test
  void anyOfSeveralSignaturesMayMatchDuringARotation() {
    String other = WebhookSignature.sign("whsec_other", NOW.getEpochSecond(), BODY).split(",")[1];
    String ours = WebhookSignature.sign(SECRET, NOW.getEpochSecond(), BODY).split(",")[1];
    assertThat(WebhookSignature.verify(SECRET, "t=" + NOW.getEpochSecond() + "," + other + "," + ours, BODY,
        FIVE_MINUTES, NOW)).isTrue();
    assertThat(WebhookSignature.verify(SECRET, "t=" + NOW.getEpochSecond() + "," + other, BODY, FIVE_MINUTES, NOW))
        .isFalse();
  }

  @Test
  void anotherBodySecretOrStaleTimestampFails() {
    String header = WebhookSignature.sign(SECRET, NOW.getEpochSecond(), BODY);
    assertThat(WebhookSignature.verify(SECRET, header, "{}".getBytes(StandardCharsets.UTF_8), FIVE_MINUTES, NOW))
        .isFalse();
    assertThat(WebhookSignature.verify("whsec_wrong", header, BODY, FIVE_MINUTES, NOW)).isFalse();
    assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW.plusSeconds(301))).isFalse();
    assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW.minusSeconds(301))).isFalse();
    assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW.plusSeconds(300))).isTrue();
  }

  @Test
  void malformedHeadersFail() {
    for (String header : new String[] {null, "", "t=abc,v1=00", "v1=00", "t=1800000000", "garbage"}) {
      assertThat(WebhookSignature.verify(SECRET, header, BODY, FIVE_MINUTES, NOW)).as(String.valueOf(header)).isFalse();
    }
  }
}
