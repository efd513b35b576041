package com.rendertrust.server.tokens;

import com.rendertrust.api.v1.Deposit;
import com.rendertrust.api.v1.DepositServiceGrpc;
import com.rendertrust.api.v1.GetDepositInfoRequest;
import com.rendertrust.api.v1.GetDepositInfoResponse;
import com.rendertrust.api.v1.ListDepositsRequest;
import com.rendertrust.api.v1.ListDepositsResponse;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.chain.EthAddresses;
import com.rendertrust.server.platform.input.InputRules;
import io.grpc.stub.StreamObserver;
import com.rendertrust.server.platform.errors.DomainException;
import java.math.RoundingMode;
import java.util.Optional;

/** gRPC adapter of {@link DepositService}. */
public final class DepositGrpcService extends DepositServiceGrpc.DepositServiceImplBase {

  private final Optional<DepositService> service;

  /** Empty: no chain is configured, and every call answers 503. */
  public DepositGrpcService(Optional<DepositService> deposits) {
    this.service = deposits;
  }

  private DepositService deposits() {
    return service.orElseThrow(() -> DomainException.unavailable("deposits need a chain: set RT_CHAIN_RPC_URL"));
  }

  @Override
  public void getDepositInfo(GetDepositInfoRequest request, StreamObserver<GetDepositInfoResponse> responses) {
    DepositService.DepositInfo info = deposits().info(CallerContext.requireUser());
    responses.onNext(GetDepositInfoResponse.newBuilder()
        .setChainId(info.chainId())
        .setRpcUrl(info.rpcUrl())
        .setTokenAddress(EthAddresses.checksummed(info.tokenAddress()))
        .setDepositContract(EthAddresses.checksummed(info.depositContract()))
        .setCreditsPerToken(info.creditsPerToken().setScale(4, RoundingMode.UNNECESSARY).toPlainString())
        .setConfirmations(info.confirmations())
        .setReference(info.reference())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listDeposits(ListDepositsRequest request, StreamObserver<ListDepositsResponse> responses) {
    DepositService.DepositPage page = deposits().list(CallerContext.requireUser(),
        InputRules.pagingParameter("limit", request.hasLimit(), request.getLimit()), request.getOffset());
    ListDepositsResponse.Builder response = ListDepositsResponse.newBuilder().setCount(page.count());
    for (DepositService.DepositView d : page.deposits()) {
      response.addDeposits(Deposit.newBuilder()
          .setTxHash(d.txHash())
          .setLogIndex(Math.toIntExact(d.logIndex()))
          .setTokenAmount(d.tokenAmount())
          .setCredits(d.credits().toWire())
          .setStatus(d.status())
          .setBlockNumber(d.blockNumber())
          .setConfirmations((int) Math.min(Integer.MAX_VALUE, d.confirmations())));
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }
}
