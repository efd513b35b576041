package com.rendertrust.server.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.StripeWebhooks;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Signature rules with an injected clock (reliability.md B23-B26, F24, F25). */
class StripeSignatureVerifierTest {

  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final String BODY = StripeWebhooks.completedPaid("evt_1", "cs_1");
  private final StripeSignatureVerifier verifier =
      new StripeSignatureVerifier(List.of(StripeWebhooks.SECRET), Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void aFreshSignatureOverTheExactBytesVerifies() {
    assertThatCode(() -> verifier.verify(BODY, Optional.of(StripeWebhooks.sign(BODY, StripeWebhooks.SECRET, NOW))))
        .doesNotThrowAnyException();
  }

  @Test
  void theToleranceIs300SecondsBothWays() {
    for (long offset : new long[] {-300, -299, 0, 299, 300}) {
      String header = StripeWebhooks.sign(BODY, StripeWebhooks.SECRET, NOW.plusSeconds(offset));
      assertThatCode(() -> verifier.verify(BODY, Optional.of(header))).as("offset %d", offset).doesNotThrowAnyException();
    }
    for (long offset : new long[] {-301, -600, 301, 3600}) {
      String header = StripeWebhooks.sign(BODY, StripeWebhooks.SECRET, NOW.plusSeconds(offset));
      assertRejected(BODY, header, "tolerance");
    }
  }

  @Test
  void missingWrongOrMangledSignaturesAreRejected() {
    assertRejected(BODY, null, "missing");
    assertRejected(BODY, "", "missing");
    assertRejected(BODY, StripeWebhooks.sign(BODY, "whsec_someone_else", NOW), "does not match");
    assertRejected(BODY.replace("cs_1", "cs_2"), StripeWebhooks.sign(BODY, StripeWebhooks.SECRET, NOW), "does not match");
    assertRejected(BODY + " ", StripeWebhooks.sign(BODY, StripeWebhooks.SECRET, NOW), "does not match");
    assertRejected(BODY, "v1=abc", "invalid");
    assertRejected(BODY, "t=notanumber,v1=abc", "invalid");
    assertRejected(BODY, "t=" + NOW.getEpochSecond() + ",v0=" + "0".repeat(64), "does not match");
    assertRejected(BODY, "t=" + NOW.getEpochSecond() + ",v1=" + "a".repeat(10_000), "invalid");
  }

  @Test
  void duringRotationEitherSecretVerifies() {
    StripeSignatureVerifier rotating = new StripeSignatureVerifier(List.of("whsec_new", "whsec_old"),
        Clock.fixed(NOW, ZoneOffset.UTC));
    assertThatCode(() -> rotating.verify(BODY, Optional.of(StripeWebhooks.sign(BODY, "whsec_old", NOW))))
        .doesNotThrowAnyException();
    assertThatCode(() -> rotating.verify(BODY, Optional.of(StripeWebhooks.sign(BODY, "whsec_new", NOW))))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> verifier.verify(BODY, Optional.of(StripeWebhooks.sign(BODY, "whsec_old", NOW))))
        .isInstanceOf(DomainException.class);
  }

  private void assertRejected(String body, String header, String detailFragment) {
    assertThatThrownBy(() -> verifier.verify(body, Optional.ofNullable(header)))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.WEBHOOK_SIGNATURE_INVALID);
          assertThat(e.detail()).contains(detailFragment).doesNotContain(StripeWebhooks.SECRET);
        });
  }
}
