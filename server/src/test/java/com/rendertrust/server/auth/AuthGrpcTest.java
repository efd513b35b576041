package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;
import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.AuthServiceGrpc.AuthServiceBlockingStub;
import com.rendertrust.api.v1.CreateApiKeyRequest;
import com.rendertrust.api.v1.CreateApiKeyResponse;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.ListApiKeysRequest;
import com.rendertrust.api.v1.ListApiKeysResponse;
import com.rendertrust.api.v1.LoginRequest;
import com.rendertrust.api.v1.LoginResponse;
import com.rendertrust.api.v1.LogoutRequest;
import com.rendertrust.api.v1.RefreshRequest;
import com.rendertrust.api.v1.RefreshResponse;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.api.v1.RevokeApiKeyRequest;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status.Code;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The AuthService contract over gRPC: codes, ErrorInfo reasons and metadata credentials. */
class AuthGrpcTest {

  private static TestServer server;
  private static AuthServiceBlockingStub auth;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    auth = AuthServiceGrpc.newBlockingStub(server.channel());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void registerReturnsTheAccountAndAWorkingSession() {
    String email = "Grace." + UUID.randomUUID() + "@Example.com";
    RegisterResponse response = auth.register(RegisterRequest.newBuilder()
        .setEmail(email).setName("Grace Hopper").setPassword("compiler-1952").build());
    assertThat(response.getUser().getEmail()).isEqualTo(email.toLowerCase());
    assertThat(response.getUser().getIsActive()).isTrue();
    assertThat(response.getTokens().getTokenType()).isEqualTo("bearer");
    ListApiKeysResponse keys = withBearer(response.getTokens().getAccessToken())
        .listApiKeys(ListApiKeysRequest.getDefaultInstance());
    assertThat(keys.getApiKeysList()).isEmpty();
  }

  @Test
  void duplicateAndInvalidRegistrations() {
    TestUser user = TestUsers.register(server);
    assertFails(() -> auth.register(RegisterRequest.newBuilder().setEmail(user.email().toUpperCase())
        .setName("N").setPassword("password-1").build()), Code.ALREADY_EXISTS, "EMAIL_TAKEN");

    ErrorInfo badEmail = assertFails(() -> auth.register(RegisterRequest.newBuilder().setEmail("not-an-email")
        .setName("N").setPassword("password-1").build()), Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(badEmail.getMetadataMap()).containsEntry("field", "email");
    ErrorInfo shortPassword = assertFails(() -> auth.register(RegisterRequest.newBuilder()
        .setEmail("x-" + UUID.randomUUID() + "@b.co").setName("N").setPassword("7chars!").build()),
        Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(shortPassword.getMetadataMap()).containsEntry("field", "password");
    ErrorInfo noName = assertFails(() -> auth.register(RegisterRequest.newBuilder()
        .setEmail("x-" + UUID.randomUUID() + "@b.co").setPassword("password-1").build()),
        Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
    assertThat(noName.getMetadataMap()).containsEntry("field", "name");
  }

  @Test
  void loginFailuresAreIndistinguishable() {
    TestUser user = TestUsers.register(server);
    TestUser inactive = TestUsers.register(server);
    server.controlPlane().database().dsl().update(USERS).set(USERS.IS_ACTIVE, false)
        .where(USERS.ID.eq(inactive.id())).execute();

    List<String> descriptions = new java.util.ArrayList<>();
    for (LoginRequest request : List.of(
        LoginRequest.newBuilder().setEmail(user.email()).setPassword("wrong password").build(),
        LoginRequest.newBuilder().setEmail("ghost-" + UUID.randomUUID() + "@b.co").setPassword("password-1").build(),
        LoginRequest.newBuilder().setEmail(inactive.email()).setPassword(inactive.password()).build())) {
      io.grpc.StatusRuntimeException failure = org.assertj.core.api.Assertions.catchThrowableOfType(
          io.grpc.StatusRuntimeException.class, () -> auth.login(request));
      assertThat(failure.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED);
      assertThat(com.rendertrust.server.testing.GrpcFailures.errorInfo(failure).getReason())
          .isEqualTo("INVALID_CREDENTIALS");
      descriptions.add(failure.getStatus().getDescription());
    }
    assertThat(descriptions).containsOnly("invalid email or password");

    LoginResponse ok = auth.login(LoginRequest.newBuilder().setEmail(user.email()).setPassword(user.password()).build());
    assertThat(ok.getTokenType()).isEqualTo("bearer");
    assertFails(() -> auth.login(LoginRequest.newBuilder().setEmail(user.email()).build()),
        Code.INVALID_ARGUMENT, "VALIDATION_FAILED");
  }

  @Test
  void protectedRpcsReadTheBearerFromMetadata() {
    TestUser user = TestUsers.register(server);
    assertFails(() -> auth.listApiKeys(ListApiKeysRequest.getDefaultInstance()), Code.UNAUTHENTICATED,
        "UNAUTHENTICATED");
    assertThat(user.authenticate(auth).listApiKeys(ListApiKeysRequest.getDefaultInstance()).getApiKeysList()).isEmpty();
    assertFails(() -> withBearer(user.refreshToken()).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_INVALID");
    // another feature's user RPC: authentication passes and the handler sees the caller
    assertThat(user.authenticate(CreditServiceGrpc.newBlockingStub(server.channel()))
        .getBalance(GetBalanceRequest.getDefaultInstance()).getUserId()).isEqualTo(user.id().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer x.y.z", "bearer not-a-jwt"})
  void malformedAuthorizationIsTokenInvalid(String authorization) {
    assertFails(() -> auth.withCallCredentials(GrpcCredentials.header(GrpcCredentials.AUTHORIZATION, authorization))
        .listApiKeys(ListApiKeysRequest.getDefaultInstance()), Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  @Test
  void twoAuthorizationEntriesOrAHugeOneAreRefused() {
    TestUser user = TestUsers.register(server);
    CallCredentials twice = new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata metadata = new Metadata();
        metadata.put(GrpcCredentials.AUTHORIZATION, "Bearer " + user.accessToken());
        metadata.put(GrpcCredentials.AUTHORIZATION, "Bearer " + user.accessToken());
        applier.apply(metadata);
      }
    };
    assertFails(() -> auth.withCallCredentials(twice).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_INVALID");
    assertFails(() -> withBearer("a".repeat(100 * 1024)).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  @Test
  void refreshRotatesAndReuseRevokesTheFamily() {
    TestUser user = TestUsers.register(server);
    RefreshResponse rotated = auth.refresh(RefreshRequest.newBuilder().setRefreshToken(user.refreshToken()).build());
    assertThat(rotated.getRefreshToken()).isNotEqualTo(user.refreshToken());
    assertThat(withBearer(rotated.getAccessToken()).listApiKeys(ListApiKeysRequest.getDefaultInstance())).isNotNull();

    assertFails(() -> auth.refresh(RefreshRequest.newBuilder().setRefreshToken(user.refreshToken()).build()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
    assertFails(() -> auth.refresh(RefreshRequest.newBuilder().setRefreshToken(rotated.getRefreshToken()).build()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
    assertFails(() -> withBearer(rotated.getAccessToken()).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
    assertFails(() -> auth.refresh(RefreshRequest.newBuilder().setRefreshToken(user.accessToken()).build()),
        Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  @Test
  void logoutRevokesAccessAndRefresh() {
    TestUser user = TestUsers.register(server);
    assertThat(user.authenticate(auth).logout(LogoutRequest.getDefaultInstance()).getMessage())
        .isEqualTo("Logged out successfully");
    assertFails(() -> user.authenticate(auth).listApiKeys(ListApiKeysRequest.getDefaultInstance()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
    assertFails(() -> auth.refresh(RefreshRequest.newBuilder().setRefreshToken(user.refreshToken()).build()),
        Code.UNAUTHENTICATED, "TOKEN_REVOKED");
  }

  @Test
  void apiKeyLifecycle() {
    TestUser owner = TestUsers.register(server);
    TestUser stranger = TestUsers.register(server);
    CreateApiKeyResponse created = owner.authenticate(auth).createApiKey(CreateApiKeyRequest.newBuilder()
        .setName("grpc-client").build());
    assertThat(created.getKey()).startsWith("rt_live_");
    AuthServiceBlockingStub withKey = auth.withCallCredentials(GrpcCredentials.apiKey(created.getKey()));
    assertThat(withKey.listApiKeys(ListApiKeysRequest.getDefaultInstance()).getApiKeysList())
        .extracting(com.rendertrust.api.v1.ApiKey::getId).containsExactly(created.getApiKey().getId());

    assertFails(() -> withKey.createApiKey(CreateApiKeyRequest.newBuilder().setName("more").build()),
        Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    assertFails(() -> withKey.logout(LogoutRequest.getDefaultInstance()), Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    assertFails(() -> stranger.authenticate(auth).revokeApiKey(RevokeApiKeyRequest.newBuilder()
        .setKeyId(created.getApiKey().getId()).build()), Code.NOT_FOUND, "NOT_FOUND");

    assertThat(owner.authenticate(auth).revokeApiKey(RevokeApiKeyRequest.newBuilder()
        .setKeyId(created.getApiKey().getId()).build()).getApiKey().hasRevokedAt()).isTrue();
    assertFails(() -> withKey.listApiKeys(ListApiKeysRequest.getDefaultInstance()), Code.UNAUTHENTICATED,
        "TOKEN_REVOKED");
    assertFails(() -> auth.withCallCredentials(GrpcCredentials.apiKey("rt_live_nope"))
        .listApiKeys(ListApiKeysRequest.getDefaultInstance()), Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  private static AuthServiceBlockingStub withBearer(String token) {
    return auth.withCallCredentials(GrpcCredentials.bearer(token));
  }
}
