package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.CreateCheckoutRequest;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DeductRequest;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.ListHistoryRequest;
import com.rendertrust.api.v1.ListHistoryResponse;
import com.rendertrust.api.v1.ListPackagesRequest;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CreditService adapter over the in-process gRPC channel of the real composition root. The
 * caller sends a real access token ({@link TestTokens}) through the production access policy.
 */
class CreditGrpcServiceTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.freshConfig());
  }

  @AfterAll
  static void stop() {
    assertLedgerInvariants(server.controlPlane().database().dsl());
    server.close();
  }

  private static CreditServiceGrpc.CreditServiceBlockingStub as(UUID user) {
    return CreditServiceGrpc.newBlockingStub(server.channel()).withInterceptors(TestTokens.as(server, user))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static UUID funded(long credits) {
    UUID user = UUID.randomUUID();
    server.controlPlane().credits().adjust(user, CreditAmount.ofCredits(credits), "seed", "Welcome grant");
    return user;
  }

  @Test
  void everyCreditRpcNeedsAnAuthenticatedUser() {
    CreditServiceGrpc.CreditServiceBlockingStub anonymous = CreditServiceGrpc.newBlockingStub(server.channel());
    List<Runnable> calls = List.of(
        () -> anonymous.getBalance(GetBalanceRequest.getDefaultInstance()),
        () -> anonymous.listHistory(ListHistoryRequest.getDefaultInstance()),
        () -> anonymous.deduct(DeductRequest.newBuilder().setAmount("not a number").build()),
        () -> anonymous.listPackages(ListPackagesRequest.getDefaultInstance()),
        () -> anonymous.createCheckout(CreateCheckoutRequest.newBuilder().setPackageId("nope").build()));
    for (Runnable call : calls) {
      assertFails(call, Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED");
    }
  }

  @Test
  void overRestTheCreditEndpointsAnswer401UntilAuthenticationIsMerged() {
    HttpResponse<String> response = server.get("/api/v1/credits/balance");
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(Json.parse(response.body()).get("detail").asText()).isEqualTo("authentication required");
  }

  @Test
  void balanceIsTheCallersOwn() {
    UUID rich = funded(1000);
    UUID fresh = UUID.randomUUID();
    var balance = as(rich).getBalance(GetBalanceRequest.getDefaultInstance());
    assertThat(balance.getBalance()).isEqualTo("1000.0000");
    assertThat(balance.getUserId()).isEqualTo(rich.toString());
    assertThat(as(fresh).getBalance(GetBalanceRequest.getDefaultInstance()).getBalance()).isEqualTo("0.0000");
  }

  @Test
  void deductReturnsTheEntryAndRetriesReturnTheSameOne() {
    UUID user = funded(100);
    DeductRequest request = DeductRequest.newBuilder().setAmount("10.0000").setReferenceId("manual-001")
        .setDescription("Manual adjustment").build();
    var entry = as(user).deduct(request).getEntry();
    assertThat(entry.getAmount()).isEqualTo("10.0000");
    assertThat(entry.getDirection()).isEqualTo("DEBIT");
    assertThat(entry.getSource()).isEqualTo("USAGE");
    assertThat(entry.getReferenceId()).isEqualTo("manual-001");
    assertThat(entry.getBalanceAfter()).isEqualTo("90.0000");
    assertThat(entry.getDescription()).isEqualTo("Manual adjustment");
    assertThat(entry.getCreatedAt()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
    assertThat(UUID.fromString(entry.getId())).isNotNull();
    assertThat(as(user).deduct(request).getEntry()).isEqualTo(entry);

    assertFails(() -> as(user).deduct(request.toBuilder().setAmount("11").build()),
        Status.Code.ALREADY_EXISTS, "IDEMPOTENCY_CONFLICT");
  }

  @Test
  void insufficientCreditsCarryAvailableAndRequested() {
    UUID user = funded(5);
    assertThatThrownBy(() -> as(user).deduct(DeductRequest.newBuilder().setAmount("7.5").setReferenceId("too-much").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          ErrorInfo info = errorInfo(e);
          assertThat(info.getReason()).isEqualTo("INSUFFICIENT_CREDITS");
          assertThat(info.getMetadataMap()).containsEntry("available", "5.0000").containsEntry("requested", "7.5000");
        });
  }

  @Test
  void invalidAmountsAre422() {
    UUID user = funded(5);
    for (String amount : List.of("0", "-1", "1.23456", "abc", "")) {
      assertFails(() -> as(user).deduct(DeductRequest.newBuilder().setAmount(amount).build()),
          Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    }
    assertThat(as(user).getBalance(GetBalanceRequest.getDefaultInstance()).getBalance()).isEqualTo("5.0000");
  }

  @Test
  void historyPagesNewestFirstWithTheTotalCount() {
    UUID user = funded(100);
    as(user).deduct(DeductRequest.newBuilder().setAmount("1").setReferenceId("a").build());
    as(user).deduct(DeductRequest.newBuilder().setAmount("2").setReferenceId("b").build());
    ListHistoryResponse page = as(user).listHistory(ListHistoryRequest.newBuilder().setLimit(2).build());
    assertThat(page.getCount()).isEqualTo(3);
    assertThat(page.getEntriesList()).extracting(e -> e.getAmount()).containsExactly("2.0000", "1.0000");
    assertThat(page.getEntries(0).getReferenceId()).isEqualTo("b");
    assertThat(page.getEntries(0).hasDescription()).isFalse();
    assertThat(as(user).listHistory(ListHistoryRequest.newBuilder().setOffset(2).build()).getEntries(0).getSource())
        .isEqualTo("ADJUSTMENT");

    assertFails(() -> as(user).listHistory(ListHistoryRequest.newBuilder().setLimit(201).build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertFails(() -> as(user).listHistory(ListHistoryRequest.newBuilder().setOffset(-1).build()),
        Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
  }

  @Test
  void twoHundredConcurrentDeductCallsAgainstFiftyLeaveFiftyAndZero() throws Exception {
    UUID user = funded(50);
    CreditServiceGrpc.CreditServiceBlockingStub stub = as(user);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Status.Code>> calls = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        String reference = "c-" + i;
        calls.add(threads.submit(() -> {
          start.await();
          try {
            stub.deduct(DeductRequest.newBuilder().setAmount("1").setReferenceId(reference).build());
            return Status.Code.OK;
          } catch (StatusRuntimeException e) {
            assertThat(errorInfo(e).getReason()).isEqualTo("INSUFFICIENT_CREDITS");
            return e.getStatus().getCode();
          }
        }));
      }
      start.countDown();
      List<Status.Code> codes = new ArrayList<>();
      for (Future<Status.Code> call : calls) {
        codes.add(call.get(60, TimeUnit.SECONDS));
      }
      assertThat(codes.stream().filter(code -> code == Status.Code.OK)).hasSize(50);
      assertThat(codes.stream().filter(code -> code == Status.Code.FAILED_PRECONDITION)).hasSize(150);
    }
    assertThat(as(user).getBalance(GetBalanceRequest.getDefaultInstance()).getBalance()).isEqualTo("0.0000");
    assertLedgerInvariants(server.controlPlane().database().dsl());
  }

  @Test
  void packagesAreTheThreeOnSale() {
    var packages = as(UUID.randomUUID()).listPackages(ListPackagesRequest.getDefaultInstance()).getPackagesList();
    assertThat(packages).extracting(p -> p.getId() + " " + p.getName() + " " + p.getCredits() + " " + p.getPriceCents()
            + " " + p.getCurrency())
        .containsExactly("credits_100 100 credits 100.0000 1000 usd", "credits_500 500 credits 500.0000 4000 usd",
            "credits_1000 1,000 credits 1000.0000 7000 usd");
  }

  private static void assertFails(Runnable call, Status.Code code, String reason) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(errorInfo(e).getReason()).isEqualTo(reason);
    });
  }

  private static ErrorInfo errorInfo(StatusRuntimeException e) {
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
