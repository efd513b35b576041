package com.rendertrust.server.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.CreateCheckoutRequest;
import com.rendertrust.api.v1.CreateCheckoutResponse;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.server.testing.FakeStripe;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.StripeWebhooks;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestServer;
import com.stripe.Stripe;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CreateCheckout through the gRPC adapter against a local fake Stripe that records every request. */
class CheckoutGrpcTest {

  private static FakeStripe stripe;
  private static TestServer server;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withFakeStripe((started, fake) -> {
    server = started;
    stripe = fake;
  });

  private static CreditServiceGrpc.CreditServiceBlockingStub as(UUID user) {
    return CreditServiceGrpc.newBlockingStub(server.channel()).withInterceptors(TestTokens.as(server, user))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void checkoutCreatesAStripeSessionForThePackageAndTheCaller() {
    UUID user = UUID.randomUUID();
    int before = stripe.requests().size();

    CreateCheckoutResponse response = as(user).createCheckout(
        CreateCheckoutRequest.newBuilder().setPackageId("credits_500").build());

    assertThat(response.getSessionId()).startsWith("cs_test_fake");
    assertThat(response.getCheckoutUrl()).isEqualTo("https://checkout.stripe.test/c/pay/" + response.getSessionId());
    List<FakeStripe.Request> sent = stripe.requests().subList(before, stripe.requests().size());
    assertThat(sent).hasSize(1);
    FakeStripe.Request request = sent.getFirst();
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/v1/checkout/sessions");
    assertThat(request.header("Authorization")).isEqualTo("Bearer " + FakeStripe.SECRET_KEY);
    assertThat(request.header("Stripe-Version")).isEqualTo(Stripe.API_VERSION);
    assertThat(request.header("Idempotency-Key")).startsWith("rendertrust-checkout-");
    assertThat(request.form())
        .containsEntry("mode", "payment")
        .containsEntry("client_reference_id", user.toString())
        .containsEntry("line_items[0][quantity]", "1")
        .containsEntry("line_items[0][price_data][currency]", "usd")
        .containsEntry("line_items[0][price_data][unit_amount]", "4000")
        .containsEntry("line_items[0][price_data][product_data][name]", "RenderTrust 500 credits")
        .containsEntry("metadata[package_id]", "credits_500")
        .containsEntry("success_url", "http://localhost:8000/checkout/success?session_id={CHECKOUT_SESSION_ID}")
        .containsEntry("cancel_url", "http://localhost:8000/checkout/cancel");
    String checkoutId = request.form().get("metadata[checkout_id]");
    assertThat(request.header("Idempotency-Key")).isEqualTo("rendertrust-checkout-" + checkoutId);

    var row = server.controlPlane().database().dsl().fetchSingle(
        "SELECT user_id, package_id, credits, price_cents, currency, status, stripe_session_id FROM credit_checkouts WHERE id = ?",
        UUID.fromString(checkoutId));
    assertThat(row.get(0, UUID.class)).isEqualTo(user);
    assertThat(row.get(1, String.class)).isEqualTo("credits_500");
    assertThat(row.get(2, Long.class)).isEqualTo(5_000_000L);
    assertThat(row.get(3, Integer.class)).isEqualTo(4000);
    assertThat(row.get(4, String.class)).isEqualTo("usd");
    assertThat(row.get(5, String.class)).isEqualTo("OPEN");
    assertThat(row.get(6, String.class)).isEqualTo(response.getSessionId());
  }

  @Test
  void everyPackageHasItsPrice() {
    for (String[] pkg : new String[][] {{"credits_100", "1000"}, {"credits_500", "4000"}, {"credits_1000", "7000"}}) {
      int before = stripe.requests().size();
      as(UUID.randomUUID()).createCheckout(CreateCheckoutRequest.newBuilder().setPackageId(pkg[0]).build());
      assertThat(stripe.requests().get(before).form()).containsEntry("line_items[0][price_data][unit_amount]", pkg[1]);
    }
  }

  @Test
  void anUnknownPackageIs422AndNeverReachesStripe() {
    int before = stripe.requests().size();
    for (String packageId : List.of("", "credits_50", "CREDITS_100", "credits_100 ", "'; --")) {
      assertFails(() -> as(UUID.randomUUID()).createCheckout(CreateCheckoutRequest.newBuilder().setPackageId(packageId).build()),
          Status.Code.INVALID_ARGUMENT, "UNKNOWN_PACKAGE");
    }
    assertThat(stripe.requests()).hasSize(before);
  }

  @Test
  void stripeFailingIs503AndRetriesReuseOneIdempotencyKey() {
    int before = stripe.requests().size();
    stripe.failNext(10, 500);
    try {
      assertFails(() -> as(UUID.randomUUID()).createCheckout(
          CreateCheckoutRequest.newBuilder().setPackageId("credits_100").build()),
          Status.Code.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE");
    } finally {
      stripe.failNext(0, 500);
    }
    List<FakeStripe.Request> attempts = stripe.requests().subList(before, stripe.requests().size());
    assertThat(attempts).hasSize(3);
    assertThat(attempts.stream().map(r -> r.header("Idempotency-Key")).distinct()).hasSize(1);
    String checkoutId = attempts.getFirst().form().get("metadata[checkout_id]");
    assertThat(server.controlPlane().database().dsl().fetchSingle(
        "SELECT status FROM credit_checkouts WHERE id = ?", UUID.fromString(checkoutId)).get(0, String.class))
        .isEqualTo("CREATE_FAILED");
  }

  @Test
  void aTransientStripeFailureIsRetriedWithTheSameKey() {
    int before = stripe.requests().size();
    stripe.failNext(1, 503);
    CreateCheckoutResponse response = as(UUID.randomUUID()).createCheckout(
        CreateCheckoutRequest.newBuilder().setPackageId("credits_100").build());
    assertThat(response.getSessionId()).isNotBlank();
    List<FakeStripe.Request> attempts = stripe.requests().subList(before, stripe.requests().size());
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(0).header("Idempotency-Key")).isEqualTo(attempts.get(1).header("Idempotency-Key"));
  }

  @Test
  void withoutStripeKeysCheckoutAndWebhookAre503() {
    try (TestServer unconfigured = TestServer.start(TestServer.freshConfig())) {
      assertFails(() -> CreditServiceGrpc.newBlockingStub(unconfigured.channel())
              .withInterceptors(TestTokens.as(unconfigured, UUID.randomUUID()))
              .createCheckout(CreateCheckoutRequest.newBuilder().setPackageId("credits_100").build()),
          Status.Code.UNAVAILABLE, "PAYMENTS_NOT_CONFIGURED");
      String event = StripeWebhooks.completedPaid("evt_unconfigured", "cs_1");
      var response = unconfigured.postBody("/api/v1/webhooks/stripe", "application/json", event,
          "Stripe-Signature", StripeWebhooks.sign(event));
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.body()).contains("webhook secret is not configured");
      assertThat(unconfigured.controlPlane().database().dsl().fetchSingle("SELECT count(*) FROM stripe_events")
          .get(0, Integer.class)).isZero();
    }
  }

  private static void assertFails(Runnable call, Status.Code code, String reason) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      ErrorInfo info = errorInfo(e);
      assertThat(info.getReason()).isEqualTo(reason);
      assertThat(e.getStatus().getDescription()).doesNotContain("sk_test");
    });
  }

  static ErrorInfo errorInfo(StatusRuntimeException e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream().filter(any -> any.is(ErrorInfo.class))
        .map(any -> {
          try {
            return any.unpack(ErrorInfo.class);
          } catch (Exception ex) {
            throw new AssertionError(ex);
          }
        }).findFirst().orElseThrow();
  }
}
