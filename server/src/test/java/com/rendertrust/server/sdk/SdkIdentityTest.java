package com.rendertrust.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.sdk.AuthenticationException;
import com.rendertrust.sdk.ConflictException;
import com.rendertrust.sdk.PermissionDeniedException;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.RenderTrustException;
import com.rendertrust.sdk.Tokens;
import com.rendertrust.server.testing.TestServer;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java SDK against the real server: in-process transport and real TCP (h2c) on the server's port. */
class SdkIdentityTest {

  private static final String PASSWORD = "correct horse battery";
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String email() {
    return "sdk-" + UUID.randomUUID() + "@example.com";
  }

  @Test
  void registerLoginAndTypedFailuresInProcess() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    String email = email();
    Tokens registered = client.register(email, "Ada", PASSWORD);
    assertThat(registered.accessToken()).isNotBlank();
    assertThat(client.createApiKey("ci")).startsWith("rt_live_");

    assertThatThrownBy(() -> RenderTrustClient.create(server.channel()).register(email.toUpperCase(), "Ada", PASSWORD))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.reason()).isEqualTo("EMAIL_TAKEN"));
    assertThatThrownBy(() -> RenderTrustClient.create(server.channel()).login(email, "wrong password!"))
        .isInstanceOfSatisfying(AuthenticationException.class,
            e -> assertThat(e.reason()).isEqualTo("INVALID_CREDENTIALS"));
    assertThat(RenderTrustClient.create(server.channel()).login(email, PASSWORD).refreshToken()).isNotBlank();
  }

  @Test
  void refreshRotatesAndAnExpiredAccessTokenCostsOneRetry() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    Tokens first = client.register(email(), "Bob", PASSWORD);
    Tokens second = client.refresh();
    assertThat(second.refreshToken()).isNotEqualTo(first.refreshToken());

    // A client holding a broken access token but a valid refresh token recovers by itself.
    RenderTrustClient stale = RenderTrustClient.create(server.channel());
    stale.useTokens(new Tokens("not-a-jwt", second.refreshToken()));
    assertThat(stale.createApiKey("after-refresh")).startsWith("rt_live_");
    assertThat(stale.tokens().refreshToken()).isNotEqualTo(second.refreshToken());
  }

  @Test
  void logoutEndsTheSessionAndApiKeysAuthenticate() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register(email(), "Cy", PASSWORD);
    String key = client.createApiKey("automation");
    Tokens session = client.tokens();
    client.logout();
    assertThat(client.tokens()).isNull();

    RenderTrustClient revoked = RenderTrustClient.create(server.channel());
    revoked.useTokens(session);
    assertThatThrownBy(() -> revoked.createApiKey("x")).isInstanceOf(AuthenticationException.class);

    RenderTrustClient byKey = RenderTrustClient.create(server.channel());
    byKey.useApiKey(key);
    // Keys authenticate as their owner, but may not mint further keys.
    assertThatThrownBy(() -> byKey.createApiKey("nested")).isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void worksOverRealTcp() {
    try (RenderTrustClient client = RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort())) {
      String email = email();
      client.register(email, "Dee", PASSWORD);
      assertThat(client.createApiKey("tcp")).startsWith("rt_live_");
      assertThat(client.login(email, PASSWORD).accessToken()).isNotBlank();
      assertThatThrownBy(() -> client.login(email, "definitely wrong"))
          .isInstanceOf(RenderTrustException.class)
          .extracting(e -> ((RenderTrustException) e).grpcCode()).isEqualTo("UNAUTHENTICATED");
    }
  }
}
