package com.rendertrust.server.tokens;

import com.rendertrust.api.v1.CreatePayoutRequest;
import com.rendertrust.api.v1.CreatePayoutResponse;
import com.rendertrust.api.v1.ListPayoutsRequest;
import com.rendertrust.api.v1.ListPayoutsResponse;
import com.rendertrust.api.v1.Payout;
import com.rendertrust.api.v1.PayoutServiceGrpc;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.chain.EthAddresses;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.input.InputRules;
import io.grpc.stub.StreamObserver;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** gRPC adapter of {@link PayoutService}. */
public final class PayoutGrpcService extends PayoutServiceGrpc.PayoutServiceImplBase {

  private final Optional<PayoutService> service;

  /** Empty: no chain is configured, and every call answers 503. */
  public PayoutGrpcService(Optional<PayoutService> payouts) {
    this.service = payouts;
  }

  private PayoutService payouts() {
    return service.orElseThrow(() -> DomainException.unavailable("payouts need a chain: set RT_CHAIN_RPC_URL"));
  }

  @Override
  public void createPayout(CreatePayoutRequest request, StreamObserver<CreatePayoutResponse> responses) {
    PayoutRepository.Payout payout = payouts().create(CallerContext.requireUser(), request.getAmount(),
        request.getWalletAddress(), request.getReferenceId());
    responses.onNext(CreatePayoutResponse.newBuilder().setPayout(toProto(payout)).build());
    responses.onCompleted();
  }

  @Override
  public void listPayouts(ListPayoutsRequest request, StreamObserver<ListPayoutsResponse> responses) {
    PayoutService.PayoutPage page = payouts().list(CallerContext.requireUser(),
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListPayoutsResponse.Builder response = ListPayoutsResponse.newBuilder().setCount(page.count());
    page.payouts().forEach(payout -> response.addPayouts(toProto(payout)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  private static Payout toProto(PayoutRepository.Payout payout) {
    Payout.Builder proto = Payout.newBuilder()
        .setId(payout.id().toString())
        .setAmount(new CreditAmount(payout.amountUnits()).toWire())
        .setTokenAmount(DepositWatcher.tokens(payout.tokenAmount()))
        .setWalletAddress(EthAddresses.checksummed(payout.wallet()))
        .setStatus(payout.status())
        .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(payout.createdAt()));
    payout.txHash().ifPresent(proto::setTxHash);
    return proto.build();
  }
}
