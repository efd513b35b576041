package com.rendertrust.server.payments;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.CreateCheckoutRequest;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.Direction;
import com.rendertrust.server.credits.EntrySource;
import com.rendertrust.server.credits.LedgerEntry;
import com.rendertrust.server.testing.FakeStripe;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.StripeWebhooks;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Stripe webhook over real HTTP against the real server, with payloads signed locally the
 * way Stripe signs them (reliability.md B23-B30, F21-F24). Sessions are created through
 * CreateCheckout against a fake Stripe, so every credit is checked against a real checkout record.
 */
class StripeWebhookRestTest {

  private static final String PATH = "/api/v1/webhooks/stripe";

  private static FakeStripe stripe;
  private static TestServer server;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withFakeStripe((started, fake) -> {
    server = started;
    stripe = fake;
  });

  @AfterEach
  void ledgerStillSound() {
    assertLedgerInvariants(dsl());
  }

  private record Purchase(UUID user, String sessionId) {
  }

  private static Purchase checkout(String packageId) {
    UUID user = UUID.randomUUID();
    String sessionId = CreditServiceGrpc.newBlockingStub(server.channel())
        .withInterceptors(TestTokens.as(server, user))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createCheckout(CreateCheckoutRequest.newBuilder().setPackageId(packageId).build())
        .getSessionId();
    return new Purchase(user, sessionId);
  }

  private static HttpResponse<String> deliver(String body, String signature) {
    return signature == null
        ? server.postBody(PATH, "application/json; charset=utf-8", body)
        : server.postBody(PATH, "application/json; charset=utf-8", body, "Stripe-Signature", signature);
  }

  private static HttpResponse<String> deliverSigned(String body) {
    return deliver(body, StripeWebhooks.sign(body));
  }

  private static void assertReceived(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse("{\"received\":true}"));
  }

  private static String eventId() {
    return "evt_" + UUID.randomUUID().toString().replace("-", "");
  }

  @Test
  void aSignedPaidEventCreditsThePackageOnceFromOurRecord() {
    Purchase purchase = checkout("credits_500");

    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), purchase.sessionId())));

    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("500.0000");
    LedgerEntry entry = server.controlPlane().credits().history(purchase.user(), 0, 0).entries().getFirst();
    assertThat(entry.source()).isEqualTo(EntrySource.PURCHASE);
    assertThat(entry.direction()).isEqualTo(Direction.CREDIT);
    assertThat(entry.referenceId()).contains(purchase.sessionId());
    assertThat(entry.description()).contains("Credit purchase: 500 credits");
    assertThat(outcomes(purchase.sessionId())).containsExactly("CREDITED");
  }

  @Test
  void duplicateDeliveriesOfOneEventCreditOnce() {
    Purchase purchase = checkout("credits_100");
    String event = StripeWebhooks.completedPaid(eventId(), purchase.sessionId());
    for (int i = 0; i < 3; i++) {
      assertReceived(deliverSigned(event));
    }
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
    assertThat(purchases(purchase.sessionId())).isEqualTo(1);
    assertThat(outcomes(purchase.sessionId())).containsExactly("CREDITED");
  }

  @Test
  void tenConcurrentDeliveriesOfOneEventCreditOnceAndAllGet200() throws Exception {
    Purchase purchase = checkout("credits_1000");
    String event = StripeWebhooks.completedPaid(eventId(), purchase.sessionId());
    String signature = StripeWebhooks.sign(event);

    List<HttpResponse<String>> responses = concurrently(10, () -> deliver(event, signature));

    responses.forEach(StripeWebhookRestTest::assertReceived);
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("1000.0000");
    assertThat(purchases(purchase.sessionId())).isEqualTo(1);
  }

  @Test
  void differentEventsForOneSessionRacingCreditOnce() throws Exception {
    Purchase purchase = checkout("credits_100");
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(StripeWebhooks.completedPaid(eventId(), purchase.sessionId()));
      events.add(StripeWebhooks.sessionEvent(eventId(), StripeEvent.ASYNC_PAYMENT_SUCCEEDED, purchase.sessionId(), "paid", ""));
    }
    List<HttpResponse<String>> responses = concurrently(events.size(), new java.util.function.Supplier<>() {
      private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

      @Override
      public HttpResponse<String> get() {
        return deliverSigned(events.get(next.getAndIncrement()));
      }
    });
    responses.forEach(StripeWebhookRestTest::assertReceived);
    assertThat(purchases(purchase.sessionId())).isEqualTo(1);
    assertThat(outcomes(purchase.sessionId())).containsOnly("CREDITED", "ALREADY_CREDITED").containsOnlyOnce("CREDITED");
  }

  @Test
  void outOfOrderAsyncSuccessBeforeCompletedCreditsOnce() {
    Purchase purchase = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.ASYNC_PAYMENT_SUCCEEDED,
        purchase.sessionId(), "paid", "")));
    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), purchase.sessionId())));
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
    assertThat(outcomes(purchase.sessionId())).containsExactly("CREDITED", "ALREADY_CREDITED");
  }

  @Test
  void anUnpaidCompletionWaitsForTheAsyncPayment() {
    Purchase purchase = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        purchase.sessionId(), "unpaid", "")));
    assertThat(server.controlPlane().credits().balance(purchase.user())).isEqualTo(CreditAmount.ZERO);

    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.ASYNC_PAYMENT_SUCCEEDED,
        purchase.sessionId(), "paid", "")));
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
    assertThat(outcomes(purchase.sessionId())).containsExactly("AWAITING_PAYMENT", "CREDITED");
  }

  @Test
  void aFailedAsyncPaymentCreditsNothingAndAFailureAfterPaymentDebitsNothing() {
    Purchase failed = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        failed.sessionId(), "unpaid", "")));
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.ASYNC_PAYMENT_FAILED,
        failed.sessionId(), "unpaid", "")));
    assertThat(server.controlPlane().credits().balance(failed.user())).isEqualTo(CreditAmount.ZERO);
    assertThat(checkoutStatus(failed.sessionId())).isEqualTo("PAYMENT_FAILED");

    Purchase paid = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), paid.sessionId())));
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.ASYNC_PAYMENT_FAILED,
        paid.sessionId(), "unpaid", "")));
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_EXPIRED,
        paid.sessionId(), "unpaid", "")));
    assertThat(server.controlPlane().credits().balance(paid.user()).toWire()).isEqualTo("100.0000");
    assertThat(outcomes(paid.sessionId())).containsExactly("CREDITED", "LATE_FAILURE", "LATE_FAILURE");
    assertThat(checkoutStatus(paid.sessionId())).isEqualTo("PAID");
  }

  @Test
  void anExpiredSessionIsMarkedAndCreditsNothing() {
    Purchase purchase = checkout("credits_500");
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_EXPIRED,
        purchase.sessionId(), "unpaid", "")));
    assertThat(checkoutStatus(purchase.sessionId())).isEqualTo("EXPIRED");
    assertThat(server.controlPlane().credits().balance(purchase.user())).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void amountsAndUsersInTheEventMetadataAreIgnored() {
    Purchase purchase = checkout("credits_100");
    UUID attacker = UUID.randomUUID();
    String event = StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED, purchase.sessionId(), "paid",
        "\"metadata\":{\"credits\":\"1000000\",\"user_id\":\"" + attacker + "\",\"package_id\":\"credits_1000\"},"
            + "\"client_reference_id\":\"" + purchase.user() + "\",\"amount_total\":1000,\"currency\":\"usd\"");
    assertReceived(deliverSigned(event));
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
    assertThat(server.controlPlane().credits().balance(attacker)).isEqualTo(CreditAmount.ZERO);
  }

  @Test
  void anEventDisagreeingWithOurRecordCreditsNothing() {
    Purchase purchase = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        purchase.sessionId(), "paid", "\"amount_total\":100,\"currency\":\"usd\"")));
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        purchase.sessionId(), "paid", "\"client_reference_id\":\"" + UUID.randomUUID() + "\"")));
    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        purchase.sessionId(), "paid", "\"currency\":\"eur\"")));
    assertThat(server.controlPlane().credits().balance(purchase.user())).isEqualTo(CreditAmount.ZERO);
    assertThat(outcomes(purchase.sessionId())).containsExactly("MISMATCH", "MISMATCH", "MISMATCH");
  }

  @Test
  void anUnknownSessionIsRecordedAndCreditsNothing() {
    LedgerSnapshot before = LedgerSnapshot.take(dsl());
    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), "cs_live_somebody_elses")));
    LedgerSnapshot after = LedgerSnapshot.take(dsl());
    assertThat(after.stripeEvents()).isEqualTo(before.stripeEvents() + 1);
    assertThat(after.transfers()).isEqualTo(before.transfers());
    assertThat(outcomes("cs_live_somebody_elses")).containsExactly("UNKNOWN_SESSION");
  }

  @Test
  void unhandledEventTypesAreAcknowledgedAndRecorded() {
    String id = eventId();
    String event = """
        {"id":"%s","object":"event","livemode":false,"type":"invoice.paid","data":{"object":{"id":"in_1","object":"invoice"}}}"""
        .formatted(id);
    assertReceived(deliverSigned(event));
    assertThat(dsl().fetchSingle("SELECT outcome FROM stripe_events WHERE event_id = ?", id).get(0, String.class))
        .isEqualTo("IGNORED");
  }

  @Test
  void aLiveEventAtATestServerIsIgnored() {
    Purchase purchase = checkout("credits_100");
    String live = StripeWebhooks.completedPaid(eventId(), purchase.sessionId()).replace("\"livemode\":false", "\"livemode\":true");
    assertReceived(deliverSigned(live));
    assertThat(server.controlPlane().credits().balance(purchase.user())).isEqualTo(CreditAmount.ZERO);
    assertThat(outcomes(purchase.sessionId())).containsExactly("WRONG_MODE");
  }

  @Test
  void aSessionWhoseIdWasNeverRecordedIsFoundByOurMetadata() {
    Purchase purchase = checkout("credits_500");
    UUID checkoutId = dsl().fetchSingle("SELECT id FROM credit_checkouts WHERE stripe_session_id = ?", purchase.sessionId())
        .get(0, UUID.class);
    // As if the server stopped between Stripe's answer and recording the session id.
    dsl().execute("UPDATE credit_checkouts SET stripe_session_id = NULL, status = 'CREATING' WHERE id = ?", checkoutId);

    assertReceived(deliverSigned(StripeWebhooks.sessionEvent(eventId(), StripeEvent.CHECKOUT_COMPLETED,
        purchase.sessionId(), "paid", "\"metadata\":{\"checkout_id\":\"" + checkoutId + "\"}")));

    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("500.0000");
    assertThat(checkoutStatus(purchase.sessionId())).isEqualTo("PAID");
  }

  @Test
  void badSignaturesAre400WithDetailAndWriteNothing() {
    Purchase purchase = checkout("credits_100");
    String event = StripeWebhooks.completedPaid(eventId(), purchase.sessionId());
    long now = Instant.now().getEpochSecond();
    List<String> badSignatures = List.of(
        "",
        "garbage",
        StripeWebhooks.sign(event, "whsec_wrong_secret", Instant.now()),
        StripeWebhooks.sign(event, StripeWebhooks.SECRET, Instant.now().minusSeconds(301)),
        StripeWebhooks.sign(event, StripeWebhooks.SECRET, Instant.now().minusSeconds(600)),
        StripeWebhooks.sign(event, StripeWebhooks.SECRET, Instant.now().plusSeconds(400)),
        StripeWebhooks.sign(event + "\n", StripeWebhooks.SECRET, Instant.now()),
        StripeWebhooks.sign(event.replace("\"paid\"", "\"unpaid\""), StripeWebhooks.SECRET, Instant.now()),
        "t=" + now + ",v1=" + "0".repeat(64));
    LedgerSnapshot before = LedgerSnapshot.take(dsl());

    assertBadSignature(deliver(event, null));
    for (String signature : badSignatures) {
      assertBadSignature(deliver(event, signature));
    }
    String reserialized = Json.parse(event).toString();
    assertThat(reserialized).isNotEqualTo(event);
    assertBadSignature(deliver(reserialized, StripeWebhooks.sign(event)));

    assertThat(LedgerSnapshot.take(dsl())).isEqualTo(before);
  }

  @Test
  void theSignatureCoversTheRawBytesNeverADecodedText() {
    // Bytes that are not UTF-8 decode to U+FFFD whatever they were: a check over decoded text
    // would take a signature of the text "\uFFFD" for these bytes, and refuse Stripe's own.
    byte[] raw = unhandledEvent(new byte[] {(byte) 0xFF, (byte) 0xFE});
    String decoded = new String(raw, StandardCharsets.UTF_8);
    LedgerSnapshot before = LedgerSnapshot.take(dsl());
    assertBadSignature(deliverBytes(raw, StripeWebhooks.sign(decoded)));
    // non-normalized text is not normalized either: NFD "e\u0301" signed, NFC "\u00e9" delivered
    byte[] nfd = unhandledEvent("e\u0301".getBytes(StandardCharsets.UTF_8));
    byte[] nfc = unhandledEvent("\u00e9".getBytes(StandardCharsets.UTF_8));
    assertBadSignature(deliverBytes(nfc, StripeWebhooks.sign(nfd, StripeWebhooks.SECRET, Instant.now())));
    assertThat(LedgerSnapshot.take(dsl())).isEqualTo(before);

    assertReceived(deliverBytes(raw, StripeWebhooks.sign(raw, StripeWebhooks.SECRET, Instant.now())));
    assertReceived(deliverBytes(nfd, StripeWebhooks.sign(nfd, StripeWebhooks.SECRET, Instant.now())));
  }

  /** An event of a type the server records and ignores, with {@code name} as the exact bytes of a field. */
  private static byte[] unhandledEvent(byte[] name) {
    String head = "{\"id\":\"" + eventId() + "\",\"object\":\"event\",\"livemode\":false,\"type\":\"customer.created\","
        + "\"data\":{\"object\":{\"id\":\"cus_1\",\"object\":\"customer\",\"name\":\"";
    byte[] start = head.getBytes(StandardCharsets.UTF_8);
    byte[] end = "\"}}}".getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[start.length + name.length + end.length];
    System.arraycopy(start, 0, body, 0, start.length);
    System.arraycopy(name, 0, body, start.length, name.length);
    System.arraycopy(end, 0, body, start.length + name.length, end.length);
    return body;
  }

  private static HttpResponse<String> deliverBytes(byte[] body, String signature) {
    return server.send(java.net.http.HttpRequest.newBuilder(server.uri(PATH))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Stripe-Signature", signature)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  @Test
  void aSignedBodyThatIsNotAStripeEventIs400AndWritesNothing() {
    LedgerSnapshot before = LedgerSnapshot.take(dsl());
    for (String body : List.of("not json", "[]", "{}", "{\"id\":\"evt_1\"}",
        "{\"id\":\"evt_x\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{\"object\":\"invoice\"}}}")) {
      HttpResponse<String> response = deliverSigned(body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(Json.parse(response.body()).get("detail").asText()).isEqualTo("the signed body is not a Stripe event");
    }
    assertThat(LedgerSnapshot.take(dsl())).isEqualTo(before);
  }

  @Test
  void anOversizedBodyIs413BeforeAnythingElse() {
    LedgerSnapshot before = LedgerSnapshot.take(dsl());
    String huge = "{\"id\":\"evt_big\",\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
    HttpResponse<String> response = deliverSigned(huge);
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(Json.parse(response.body()).get("detail").asText()).isNotBlank();
    assertThat(LedgerSnapshot.take(dsl())).isEqualTo(before);
  }

  @Test
  void aDifferentEventIdForTheSameSessionIsAlsoNoSecondCredit() {
    Purchase purchase = checkout("credits_100");
    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), purchase.sessionId())));
    assertReceived(deliverSigned(StripeWebhooks.completedPaid(eventId(), purchase.sessionId())));
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
  }

  @Test
  void aDeliveryCutOffMidTransactionRunsAgainOnAnotherConnectionAndCreditsOnce() throws Exception {
    Purchase purchase = checkout("credits_100");
    String event = StripeWebhooks.completedPaid(eventId(), purchase.sessionId());
    LedgerSnapshot before = LedgerSnapshot.take(dsl());
    HttpResponse<String> delivered;
    try (Connection blocker = server.controlPlane().database().dataSource().getConnection()) {
      // Hold the checkout row so the delivery stops inside its transaction (event row already written)...
      blocker.setAutoCommit(false);
      try (Statement statement = blocker.createStatement()) {
        statement.execute("SELECT 1 FROM credit_checkouts WHERE stripe_session_id = '" + purchase.sessionId() + "' FOR UPDATE");
      }
      try (ExecutorService background = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<HttpResponse<String>> delivery = background.submit(() -> deliverSigned(event));
        // ...then kill its database session, as a crash or failover would (reliability.md F21): nothing
        // was committed, so the server runs the transaction again on another connection (issue 21 F5).
        int victim = waitForLockWaiter(-1);
        dsl().execute("SELECT pg_terminate_backend(?)", victim);
        int retry = waitForLockWaiter(victim);
        assertThat(retry).isNotEqualTo(victim);
        assertThat(LedgerSnapshot.take(dsl())).as("the cut-off attempt left no trace").isEqualTo(before);
        blocker.rollback();
        delivered = delivery.get(60, TimeUnit.SECONDS);
      }
    }
    assertReceived(delivered);
    assertReceived(deliverSigned(event));
    assertThat(server.controlPlane().credits().balance(purchase.user()).toWire()).isEqualTo("100.0000");
    assertThat(outcomes(purchase.sessionId())).containsExactly("CREDITED");
  }

  /** The pid of the session waiting for the checkout row's lock, other than {@code except}. */
  private static int waitForLockWaiter(int except) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      var pid = dsl().fetchOptional("""
          SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%credit_checkouts%'
             AND pid <> ?""", except);
      if (pid.isPresent()) {
        return pid.get().get(0, Integer.class);
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the delivery never waited for the checkout row");
  }

  private static void assertBadSignature(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode body = Json.parse(response.body());
    assertThat(body.get("detail").asText()).contains("stripe-signature");
    assertThat(response.body()).doesNotContain(StripeWebhooks.SECRET);
  }

  private static List<HttpResponse<String>> concurrently(int count,
      java.util.function.Supplier<HttpResponse<String>> call) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<HttpResponse<String>>> futures = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        futures.add(threads.submit(() -> {
          start.await();
          return call.get();
        }));
      }
      start.countDown();
      List<HttpResponse<String>> responses = new ArrayList<>();
      for (Future<HttpResponse<String>> future : futures) {
        responses.add(future.get(60, TimeUnit.SECONDS));
      }
      return responses;
    }
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }

  private static int purchases(String sessionId) {
    return dsl().fetchSingle("SELECT count(*) FROM credit_transfers WHERE source = 'PURCHASE' AND reference_id = ?",
        sessionId).get(0, Integer.class);
  }

  private static List<String> outcomes(String sessionId) {
    return dsl().fetch("SELECT outcome FROM stripe_events WHERE session_id = ? ORDER BY received_at, event_id", sessionId)
        .getValues(0, String.class);
  }

  private static String checkoutStatus(String sessionId) {
    return dsl().fetchSingle("SELECT status FROM credit_checkouts WHERE stripe_session_id = ?", sessionId)
        .get(0, String.class);
  }
}
