package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  @Test
  void defaultsAreTheEmbeddedDevelopmentSetup() {
    ServerConfig config = new ConfigLoader(Map.of()).load(true);
    assertThat(config.httpPort()).isEqualTo(8000);
    assertThat(config.embeddedDatabase()).isTrue();
    assertThat(config.embeddedRedis()).isTrue();
    assertThat(config.environment()).isEqualTo("development");
    assertThat(config.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".rendertrust", "dev"));
  }

  @Test
  void environmentOverridesEverything() {
    ServerConfig config = new ConfigLoader(Map.of(
        "RT_HTTP_PORT", "9100",
        "RT_DATA_DIR", "/srv/rt",
        "RT_DATABASE_URL", "jdbc:postgresql://db:5432/rt",
        "RT_DATABASE_USER", "rt",
        "RT_DATABASE_PASSWORD", "secret",
        "RT_REDIS_URL", "redis://cache:6379",
        "RT_MAX_REQUEST_BYTES", "2048")).load(false);
    assertThat(config.httpPort()).isEqualTo(9100);
    assertThat(config.dataDir()).isEqualTo(Path.of("/srv/rt"));
    assertThat(config.databaseUrl()).contains("jdbc:postgresql://db:5432/rt");
    assertThat(config.redisUrl()).contains("redis://cache:6379");
    assertThat(config.environment()).isEqualTo("production");
    assertThat(config.maxRequestBytes()).isEqualTo(2048);
  }

  @Test
  void malformedValuesAreRejectedByName() {
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_HTTP_PORT", "eighty")).load(true))
        .hasMessageContaining("RT_HTTP_PORT");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_HTTP_PORT", "70000")).load(true))
        .hasMessageContaining("RT_HTTP_PORT");
  }

  @Test
  void privateInputUrlsAreRefusedUnlessAllowedExplicitlyEvenInDevelopment() {
    assertThat(new ConfigLoader(Map.of()).load(true).jobs().allowPrivateInputUrls()).isFalse();
    assertThat(new ConfigLoader(Map.of()).load(false).jobs().allowPrivateInputUrls()).isFalse();
    assertThat(new ConfigLoader(Map.of("RT_ALLOW_PRIVATE_INPUT_URLS", "true")).load(true).jobs()
        .allowPrivateInputUrls()).isTrue();
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_ALLOW_PRIVATE_INPUT_URLS", "yes please")).load(true))
        .hasMessageContaining("RT_ALLOW_PRIVATE_INPUT_URLS");
  }

  @Test
  void jobAndStorageSettingsComeFromTheEnvironment() {
    ServerConfig config = new ConfigLoader(Map.ofEntries(
        Map.entry("RT_JOB_PRICES", "render=12.5,*=2"),
        Map.entry("RT_JOB_MAX_RUNTIME_SECONDS", "echo=30"),
        Map.entry("RT_JOB_ACCEPT_TIMEOUT_SECONDS", "60"),
        Map.entry("RT_JOB_MAX_RETRIES", "5"),
        Map.entry("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", "10"),
        Map.entry("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", "40"),
        Map.entry("RT_SWEEPER_INTERVAL_MS", "250"),
        Map.entry("RT_RESULT_URL_TTL_SECONDS", "600"),
        Map.entry("RT_S3_BUCKET", "results"),
        Map.entry("RT_S3_ENDPOINT", "http://minio:9000"),
        Map.entry("RT_S3_ACCESS_KEY_ID", "AKID"),
        Map.entry("RT_S3_SECRET_ACCESS_KEY", "s3-secret-value"),
        Map.entry("RT_STORAGE_SIGNING_KEY", "a-signing-key-of-at-least-32-characters"))).load(true);
    assertThat(config.jobs().prices().forType("render")).isEqualTo(125_000);
    assertThat(config.jobs().prices().forType("inference")).as("defaults stay").isEqualTo(50_000);
    assertThat(config.jobs().prices().forType("whatever")).isEqualTo(20_000);
    assertThat(config.jobs().maxRuntimes().forType("echo")).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.jobs().acceptTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.jobs().maxRetries()).isEqualTo(5);
    assertThat(config.jobs().heartbeatTimeout()).isEqualTo(Duration.ofSeconds(40));
    assertThat(config.jobs().sweepInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.storage().downloadUrlTtl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.storage().s3()).hasValueSatisfying(s3 -> {
      assertThat(s3.bucket()).isEqualTo("results");
      assertThat(s3.pathStyle()).isTrue();
    });
    assertThat(config.toString()).doesNotContain("s3-secret-value").doesNotContain("a-signing-key-of");
  }

  @Test
  void jobDefaultsAreTheDocumentedOnes() {
    ServerConfig config = new ConfigLoader(Map.of()).load(true);
    assertThat(config.jobs().prices().forType("render")).isEqualTo(100_000);
    assertThat(config.jobs().prices().forType("inference")).isEqualTo(50_000);
    assertThat(config.jobs().prices().forType("cpu_benchmark")).isEqualTo(10_000);
    assertThat(config.jobs().prices().forType("echo")).isZero();
    assertThat(config.jobs().prices().forType("generic")).isEqualTo(10_000);
    assertThat(config.jobs().acceptTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.jobs().heartbeatTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.jobs().offlineAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.jobs().maxRetries()).isEqualTo(3);
    assertThat(config.storage().downloadUrlTtl()).isEqualTo(Duration.ofHours(1));
    assertThat(config.storage().s3()).isEmpty();
  }

  @Test
  void malformedJobSettingsAreRejectedByName() {
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_JOB_PRICES", "render=ten")).load(true))
        .hasMessageContaining("RT_JOB_PRICES");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_JOB_PRICES", "render=1.00001")).load(true))
        .hasMessageContaining("RT_JOB_PRICES");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_JOB_MAX_RUNTIME_SECONDS", "render")).load(true))
        .hasMessageContaining("RT_JOB_MAX_RUNTIME_SECONDS");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_STORAGE_SIGNING_KEY", "short")).load(true))
        .hasMessageContaining("RT_STORAGE_SIGNING_KEY");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_S3_BUCKET", "b", "RT_S3_ACCESS_KEY_ID", "id")).load(true))
        .hasMessageContaining("RT_S3_SECRET_ACCESS_KEY");
  }

  @Test
  void secretsDoNotAppearInTheConfigsText() {
    ServerConfig config = new ConfigLoader(Map.of("RT_DATABASE_PASSWORD", "hunter2")).load(true);
    assertThat(config.toString()).doesNotContain("hunter2");
  }

  @Test
  void identitySettingsHaveTheDocumentedDefaults() {
    ServerConfig config = new ConfigLoader(Map.of()).load(true);
    assertThat(config.auth().rateLimits()).isEqualTo(new com.rendertrust.server.platform.config.AuthConfig.RateLimits(5, 10, 3));
    assertThat(config.auth().jwtIssuer()).isEqualTo("rendertrust");
    assertThat(config.auth().trustedProxies()).isEmpty();
    assertThat(config.auth().signingKeyConfigured()).isFalse();
  }

  @Test
  void identitySettingsComeFromTheEnvironmentAndTheKeyNeverPrints() {
    ServerConfig config = new ConfigLoader(Map.of(
        "RT_JWT_PRIVATE_JWK", "{\"kty\":\"OKP\",\"d\":\"very-secret\"}",
        "RT_JWT_ISSUER", "rendertrust-staging",
        "RT_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1",
        "RT_RATE_LIMIT_LOGIN_PER_MINUTE", "7",
        "RT_RATE_LIMIT_REGISTER_PER_MINUTE", "20",
        "RT_RATE_LIMIT_REFRESH_PER_MINUTE", "4")).load(true);
    assertThat(config.auth().jwtIssuer()).isEqualTo("rendertrust-staging");
    assertThat(config.auth().trustedProxies()).containsExactly("10.0.0.0/8", "192.168.1.1");
    assertThat(config.auth().rateLimits()).isEqualTo(new com.rendertrust.server.platform.config.AuthConfig.RateLimits(7, 20, 4));
    assertThat(config.toString()).doesNotContain("very-secret");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_RATE_LIMIT_LOGIN_PER_MINUTE", "0")).load(true))
        .hasMessageContaining("RT_RATE_LIMIT");
  }

  @Test
  void paymentsAreOffByDefaultWithTheDocumentedSplit() {
    ServerConfig config = new ConfigLoader(Map.of()).load(true);
    assertThat(config.credits().operatorSharePercent()).isEqualTo(70);
    assertThat(config.credits().checkoutsPerMinute()).isEqualTo(10);
    assertThat(config.credits().stripe().checkoutEnabled()).isFalse();
    assertThat(config.credits().stripe().webhookEnabled()).isFalse();
    assertThat(config.credits().stripe().apiBase()).hasToString("https://api.stripe.com");
  }

  @Test
  void stripeAndCreditSettingsComeFromTheEnvironment() {
    ServerConfig config = new ConfigLoader(Map.of(
        "RT_STRIPE_SECRET_KEY", "sk_live_abc123",
        "RT_STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old",
        "RT_STRIPE_API_BASE", "http://127.0.0.1:12111",
        "RT_CHECKOUT_SUCCESS_URL", "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "RT_CHECKOUT_CANCEL_URL", "https://app.example/cancel",
        "RT_OPERATOR_SHARE_PERCENT", "80",
        "RT_CHECKOUTS_PER_MINUTE", "3")).load(false);
    assertThat(config.credits().operatorSharePercent()).isEqualTo(80);
    assertThat(config.credits().checkoutsPerMinute()).isEqualTo(3);
    assertThat(config.credits().stripe().webhookSecrets()).containsExactly("whsec_new", "whsec_old");
    assertThat(config.credits().stripe().apiBase()).hasToString("http://127.0.0.1:12111");
    assertThat(config.credits().stripe().liveMode()).contains(true);
    assertThat(config.credits().stripe().checkoutSuccessUrl()).contains("{CHECKOUT_SESSION_ID}");
    assertThat(config.toString()).doesNotContain("sk_live_abc123").doesNotContain("whsec_new").doesNotContain("whsec_old");
  }

  @Test
  void badCreditSettingsAreRejectedByName() {
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_OPERATOR_SHARE_PERCENT", "101")).load(true))
        .hasMessageContaining("RT_OPERATOR_SHARE_PERCENT");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_CHECKOUT_SUCCESS_URL", "javascript:alert(1)")).load(true))
        .hasMessageContaining("RT_CHECKOUT_SUCCESS_URL");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_STRIPE_API_BASE", "ftp://stripe")).load(true))
        .hasMessageContaining("RT_STRIPE_API_BASE");
  }
}
