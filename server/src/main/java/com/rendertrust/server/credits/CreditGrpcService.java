package com.rendertrust.server.credits;

import com.rendertrust.api.v1.CreateCheckoutRequest;
import com.rendertrust.api.v1.CreateCheckoutResponse;
import com.rendertrust.api.v1.CreditPackage;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DeductRequest;
import com.rendertrust.api.v1.DeductResponse;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.GetBalanceResponse;
import com.rendertrust.api.v1.GetUsageRequest;
import com.rendertrust.api.v1.GetUsageResponse;
import com.rendertrust.api.v1.ListHistoryRequest;
import com.rendertrust.api.v1.ListHistoryResponse;
import com.rendertrust.api.v1.ListPackagesRequest;
import com.rendertrust.api.v1.ListPackagesResponse;
import com.rendertrust.api.v1.UsageDay;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.input.InputRules;
import io.grpc.stub.StreamObserver;
import java.util.UUID;

/**
 * gRPC adapter of {@link CreditService} and {@link CreditShop}. Every RPC acts on the
 * authenticated caller's own account: the user id comes from {@link CallerContext}, never from
 * the request, and is required before the request is even validated.
 */
public final class CreditGrpcService extends CreditServiceGrpc.CreditServiceImplBase {

  private final CreditService credits;
  private final CreditShop checkout;
  private final UsageReport usage;

  public CreditGrpcService(CreditService credits, CreditShop checkout, UsageReport usage) {
    this.credits = credits;
    this.checkout = checkout;
    this.usage = usage;
  }

  @Override
  public void getBalance(GetBalanceRequest request, StreamObserver<GetBalanceResponse> responses) {
    UUID userId = CallerContext.requireUser();
    responses.onNext(GetBalanceResponse.newBuilder()
        .setBalance(credits.balance(userId).toWire())
        .setUserId(userId.toString())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listHistory(ListHistoryRequest request, StreamObserver<ListHistoryResponse> responses) {
    UUID userId = CallerContext.requireUser();
    HistoryPage page = credits.history(userId,
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListHistoryResponse.Builder response = ListHistoryResponse.newBuilder().setCount(page.total());
    page.entries().forEach(entry -> response.addEntries(CreditProtos.entry(entry)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void getUsage(GetUsageRequest request, StreamObserver<GetUsageResponse> responses) {
    UUID userId = CallerContext.requireUser();
    UsageReport.Usage report = usage.of(userId, request.hasDays() ? request.getDays() : UsageReport.DEFAULT_DAYS);
    GetUsageResponse.Builder response = GetUsageResponse.newBuilder().setTotalSpent(report.totalSpent().toWire());
    report.days().forEach(day -> response.addDays(UsageDay.newBuilder()
        .setDate(day.date().toString())
        .setSpent(day.spent().toWire())
        .setRefunded(day.refunded().toWire())
        .setPurchased(day.purchased().toWire())));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void deduct(DeductRequest request, StreamObserver<DeductResponse> responses) {
    UUID userId = CallerContext.requireUser();
    Deduction deduction = Deduction.of(request.getAmount(), request.getReferenceId(), request.getDescription());
    LedgerEntry entry = credits.deduct(userId, deduction);
    responses.onNext(DeductResponse.newBuilder().setEntry(CreditProtos.entry(entry)).build());
    responses.onCompleted();
  }

  @Override
  public void listPackages(ListPackagesRequest request, StreamObserver<ListPackagesResponse> responses) {
    CallerContext.requireUser();
    ListPackagesResponse.Builder response = ListPackagesResponse.newBuilder();
    for (CreditShop.Offer pkg : checkout.packages()) {
      response.addPackages(CreditPackage.newBuilder()
          .setId(pkg.id())
          .setName(pkg.name())
          .setCredits(pkg.credits().toWire())
          .setPriceCents(pkg.priceCents())
          .setCurrency(pkg.currency()));
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void createCheckout(CreateCheckoutRequest request, StreamObserver<CreateCheckoutResponse> responses) {
    UUID userId = CallerContext.requireUser();
    CreditShop.Checkout started = checkout.start(userId, request.getPackageId());
    responses.onNext(CreateCheckoutResponse.newBuilder()
        .setCheckoutUrl(started.checkoutUrl())
        .setSessionId(started.sessionId())
        .build());
    responses.onCompleted();
  }
}
