package com.rendertrust.server.auth;

import com.rendertrust.api.v1.CreateSiweNonceRequest;
import com.rendertrust.api.v1.CreateSiweNonceResponse;
import com.rendertrust.api.v1.LinkWalletRequest;
import com.rendertrust.api.v1.LinkWalletResponse;
import com.rendertrust.api.v1.ListWalletsRequest;
import com.rendertrust.api.v1.ListWalletsResponse;
import com.rendertrust.api.v1.User;
import com.rendertrust.api.v1.VerifySiweRequest;
import com.rendertrust.api.v1.VerifySiweResponse;
import com.rendertrust.api.v1.Wallet;
import com.rendertrust.api.v1.WalletServiceGrpc;
import com.rendertrust.server.platform.auth.CallerContext;
import io.grpc.stub.StreamObserver;
import java.time.format.DateTimeFormatter;

/** gRPC adapter of {@link SiweService}. */
public final class WalletGrpcService extends WalletServiceGrpc.WalletServiceImplBase {

  private final SiweService siwe;

  public WalletGrpcService(SiweService siwe) {
    this.siwe = siwe;
  }

  @Override
  public void createSiweNonce(CreateSiweNonceRequest request, StreamObserver<CreateSiweNonceResponse> responses) {
    SiweService.Issued issued = siwe.issue(request.getAddress(), CallerContext.clientAddress());
    responses.onNext(CreateSiweNonceResponse.newBuilder()
        .setNonce(issued.nonce())
        .setMessage(issued.message())
        .setExpiresAt(DateTimeFormatter.ISO_INSTANT.format(issued.expiresAt()))
        .build());
    responses.onCompleted();
  }

  @Override
  public void verifySiwe(VerifySiweRequest request, StreamObserver<VerifySiweResponse> responses) {
    SiweService.SignIn signIn = siwe.verify(request.getMessage(), request.getSignature(), CallerContext.clientAddress());
    Account account = signIn.account();
    responses.onNext(VerifySiweResponse.newBuilder()
        .setUser(User.newBuilder()
            .setId(account.id().toString())
            .setEmail(account.email())
            .setName(account.name())
            .setIsActive(account.active()))
        .setTokens(com.rendertrust.api.v1.TokenPair.newBuilder()
            .setAccessToken(signIn.tokens().accessToken())
            .setRefreshToken(signIn.tokens().refreshToken())
            .setTokenType("bearer"))
        .setCreated(signIn.created())
        .build());
    responses.onCompleted();
  }

  @Override
  public void linkWallet(LinkWalletRequest request, StreamObserver<LinkWalletResponse> responses) {
    SiweService.Wallet wallet = siwe.link(CallerContext.requireUser(), request.getMessage(), request.getSignature(),
        CallerContext.clientAddress());
    responses.onNext(LinkWalletResponse.newBuilder().setWallet(toProto(wallet)).build());
    responses.onCompleted();
  }

  @Override
  public void listWallets(ListWalletsRequest request, StreamObserver<ListWalletsResponse> responses) {
    ListWalletsResponse.Builder response = ListWalletsResponse.newBuilder();
    siwe.list(CallerContext.requireUser()).forEach(wallet -> response.addWallets(toProto(wallet)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  private static Wallet toProto(SiweService.Wallet wallet) {
    return Wallet.newBuilder()
        .setAddress(wallet.address())
        .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(wallet.createdAt()))
        .build();
  }
}
