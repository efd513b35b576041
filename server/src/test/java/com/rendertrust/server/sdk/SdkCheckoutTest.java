package com.rendertrust.server.sdk;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.sdk.CheckoutSession;
import com.rendertrust.sdk.LedgerEntry;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.ValidationException;
import com.rendertrust.server.testing.FakeStripe;
import com.rendertrust.server.testing.StripeWebhooks;
import com.rendertrust.server.testing.TestServer;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Buying credits through the SDK: checkout against a local fake of Stripe's API, then Stripe's
 * signed "payment succeeded" event (signed here, as Stripe signs it) credits the package once.
 */
class SdkCheckoutTest {

  private static FakeStripe stripe;
  private static TestServer server;

  @BeforeAll
  static void start() {
    stripe = FakeStripe.start();
    server = TestServer.start(TestServer.freshConfig().withCredits(stripe.creditsConfig()));
  }

  @AfterAll
  static void stop() {
    try {
      assertLedgerInvariants(server.controlPlane().database().dsl());
    } finally {
      server.close();
      stripe.close();
    }
  }

  @Test
  void aCheckoutPaidThroughStripeCreditsThePackageOnce() {
    try (RenderTrustClient client = RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort())) {
      client.register("sdk-buyer-" + UUID.randomUUID() + "@example.com", "Buyer", "correct horse battery");

      CheckoutSession session = client.checkout("credits_100");
      assertThat(session.sessionId()).startsWith("cs_test_fake");
      assertThat(session.checkoutUrl()).isEqualTo("https://checkout.stripe.test/c/pay/" + session.sessionId());
      assertThatThrownBy(() -> client.checkout("credits_3"))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.reason()).isEqualTo("UNKNOWN_PACKAGE"));

      String event = StripeWebhooks.completedPaid("evt_" + UUID.randomUUID().toString().replace("-", ""),
          session.sessionId());
      for (int delivery = 0; delivery < 2; delivery++) {
        HttpResponse<String> answer = server.postBody("/api/v1/webhooks/stripe", "application/json; charset=utf-8",
            event, "Stripe-Signature", StripeWebhooks.sign(event));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      }

      assertThat(client.balance().balance()).isEqualByComparingTo(new BigDecimal("100"));
      List<LedgerEntry> history = client.history(10, 0).items();
      assertThat(history).hasSize(1);
      assertThat(history.getFirst().source()).isEqualTo("PURCHASE");
      assertThat(history.getFirst().referenceId()).contains(session.sessionId());
    }
  }
}
