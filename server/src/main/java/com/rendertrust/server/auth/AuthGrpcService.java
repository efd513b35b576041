package com.rendertrust.server.auth;

import com.rendertrust.api.v1.ApiKey;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreateApiKeyRequest;
import com.rendertrust.api.v1.CreateApiKeyResponse;
import com.rendertrust.api.v1.ListApiKeysRequest;
import com.rendertrust.api.v1.ListApiKeysResponse;
import com.rendertrust.api.v1.LoginRequest;
import com.rendertrust.api.v1.LoginResponse;
import com.rendertrust.api.v1.LogoutRequest;
import com.rendertrust.api.v1.LogoutResponse;
import com.rendertrust.api.v1.RefreshRequest;
import com.rendertrust.api.v1.RefreshResponse;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.api.v1.RevokeApiKeyRequest;
import com.rendertrust.api.v1.RevokeApiKeyResponse;
import com.rendertrust.api.v1.User;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** gRPC adapter of {@link AccountService}, {@link SessionService} and {@link ApiKeyService}. */
public final class AuthGrpcService extends AuthServiceGrpc.AuthServiceImplBase {

  private static final String BEARER = "bearer";

  private final AccountService accounts;
  private final SessionService sessions;
  private final ApiKeyService apiKeys;

  public AuthGrpcService(AccountService accounts, SessionService sessions, ApiKeyService apiKeys) {
    this.accounts = accounts;
    this.sessions = sessions;
    this.apiKeys = apiKeys;
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> responses) {
    AccountService.Registration registration = accounts.register(
        request.getEmail(), request.getName(), request.getPassword(), CallerContext.clientAddress());
    Account account = registration.account();
    responses.onNext(RegisterResponse.newBuilder()
        .setUser(User.newBuilder()
            .setId(account.id().toString())
            .setEmail(account.email())
            .setName(account.name())
            .setIsActive(account.active()))
        .setTokens(com.rendertrust.api.v1.TokenPair.newBuilder()
            .setAccessToken(registration.tokens().accessToken())
            .setRefreshToken(registration.tokens().refreshToken())
            .setTokenType(BEARER))
        .build());
    responses.onCompleted();
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> responses) {
    TokenPair tokens = accounts.login(request.getEmail(), request.getPassword(), CallerContext.clientAddress());
    responses.onNext(LoginResponse.newBuilder()
        .setAccessToken(tokens.accessToken())
        .setRefreshToken(tokens.refreshToken())
        .setTokenType(BEARER)
        .build());
    responses.onCompleted();
  }

  @Override
  public void refresh(RefreshRequest request, StreamObserver<RefreshResponse> responses) {
    TokenPair tokens = sessions.refresh(request.getRefreshToken(), CallerContext.clientAddress());
    responses.onNext(RefreshResponse.newBuilder()
        .setAccessToken(tokens.accessToken())
        .setRefreshToken(tokens.refreshToken())
        .setTokenType(BEARER)
        .build());
    responses.onCompleted();
  }

  @Override
  public void logout(LogoutRequest request, StreamObserver<LogoutResponse> responses) {
    Authentication authentication = AccessControlInterceptor.AUTHENTICATION.get();
    VerifiedToken token = authentication == null ? null : authentication.token().orElse(null);
    if (token == null || token.type() != TokenType.ACCESS || token.sessionId().isEmpty()) {
      throw new DomainException(Reason.UNAUTHENTICATED, "logout needs the session's access token");
    }
    sessions.logout(token.subject(), token.sessionId().get(), token.jti(), token.expiresAt());
    responses.onNext(LogoutResponse.newBuilder().setMessage("Logged out successfully").build());
    responses.onCompleted();
  }

  @Override
  public void createApiKey(CreateApiKeyRequest request, StreamObserver<CreateApiKeyResponse> responses) {
    ApiKeyService.CreatedApiKey created = apiKeys.create(CallerContext.requireUser(), request.getName());
    responses.onNext(CreateApiKeyResponse.newBuilder()
        .setApiKey(toProto(created.apiKey()))
        .setKey(created.secret())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listApiKeys(ListApiKeysRequest request, StreamObserver<ListApiKeysResponse> responses) {
    ListApiKeysResponse.Builder response = ListApiKeysResponse.newBuilder();
    apiKeys.list(CallerContext.requireUser()).forEach(key -> response.addApiKeys(toProto(key)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void revokeApiKey(RevokeApiKeyRequest request, StreamObserver<RevokeApiKeyResponse> responses) {
    ApiKeyService.ApiKey revoked = apiKeys.revoke(CallerContext.requireUser(), request.getKeyId());
    responses.onNext(RevokeApiKeyResponse.newBuilder().setApiKey(toProto(revoked)).build());
    responses.onCompleted();
  }

  private static ApiKey toProto(ApiKeyService.ApiKey key) {
    ApiKey.Builder proto = ApiKey.newBuilder()
        .setId(key.id().toString())
        .setName(key.name())
        .setPrefix(key.prefix())
        .setCreatedAt(rfc3339(key.createdAt()));
    key.lastUsedAt().ifPresent(at -> proto.setLastUsedAt(rfc3339(at)));
    key.revokedAt().ifPresent(at -> proto.setRevokedAt(rfc3339(at)));
    return proto.build();
  }

  private static String rfc3339(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant);
  }
}
