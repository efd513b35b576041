package com.rendertrust.server.platform.config;

import com.rendertrust.server.platform.chain.AnvilProcess;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@link ServerConfig} from {@code RT_*} environment variables; docs/configuration.md lists each one. */
public final class ConfigLoader {

  private final Map<String, String> env;

  public ConfigLoader(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public ServerConfig load(boolean dev) {
    Optional<String> databaseUrl = optional("RT_DATABASE_URL");
    Optional<String> redisUrl = optional("RT_REDIS_URL");
    String environment = optional("RT_ENVIRONMENT")
        .orElse(dev || databaseUrl.isEmpty() ? "development" : "production");
    Path dataDir = optional("RT_DATA_DIR").map(Path::of)
        .orElse(Path.of(System.getProperty("user.home"), ".rendertrust", "dev"));
    return new ServerConfig(
        environment,
        integer("RT_HTTP_PORT", 8000),
        dataDir.toAbsolutePath(),
        databaseUrl,
        optional("RT_DATABASE_USER"),
        optional("RT_DATABASE_PASSWORD"),
        integer("RT_DATABASE_POOL_SIZE", 16),
        redisUrl,
        integer("RT_MAX_REQUEST_BYTES", 1024 * 1024),
        Duration.ofSeconds(integer("RT_REQUEST_TIMEOUT_SECONDS", 30)),
        Duration.ofSeconds(integer("RT_SHUTDOWN_GRACE_SECONDS", 10)),
        auth(),
        chain(environment),
        credits(),
        jobs(),
        storage(),
        uploads(),
        // --dev: a browser front end on its own dev server (any http://localhost port) may call the API
        CorsConfig.parse(env.get("RT_CORS_ORIGINS"), dev),
        tokens(),
        webhooks(dev));
  }

  private TokensConfig tokens() {
    TokensConfig defaults = TokensConfig.defaults();
    String perToken = optional("RT_CREDITS_PER_TOKEN").orElse(defaults.creditsPerToken().toPlainString());
    java.math.BigDecimal creditsPerToken;
    try {
      creditsPerToken = new java.math.BigDecimal(perToken);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("RT_CREDITS_PER_TOKEN must be a decimal number, got '" + perToken + "'");
    }
    return new TokensConfig(
        optional("RT_TOKEN_ADDRESS"),
        optional("RT_DEPOSIT_CONTRACT"),
        optional("RT_CHAIN_PUBLIC_RPC_URL"),
        creditsPerToken,
        optional("RT_TREASURY_PRIVATE_KEY"),
        integer("RT_DEPOSIT_CONFIRMATIONS", defaults.confirmations()),
        Duration.ofMillis(integer("RT_DEPOSIT_POLL_MS", (int) defaults.pollInterval().toMillis())),
        integer("RT_DEPOSIT_BLOCK_RANGE", defaults.blockRange()));
  }

  /** {@code --dev} allows http and private addresses, so a receiver on localhost works in development. */
  private WebhooksConfig webhooks(boolean dev) {
    WebhooksConfig defaults = WebhooksConfig.defaults();
    return new WebhooksConfig(
        bool("RT_WEBHOOK_ALLOW_HTTP", dev),
        bool("RT_WEBHOOK_ALLOW_PRIVATE", dev),
        seconds("RT_WEBHOOK_RETRY_BASE_SECONDS", defaults.retryBase()),
        defaults.retryCap(),
        defaults.retryWindow(),
        optional("RT_WEBHOOK_DISABLE_AFTER_HOURS").map(value -> Duration.ofHours(parseLong(
            "RT_WEBHOOK_DISABLE_AFTER_HOURS", value))).orElse(defaults.disableAfter()),
        defaults.requestTimeout(),
        defaults.pollInterval(),
        integer("RT_WEBHOOK_CONCURRENCY", defaults.concurrency()));
  }

  private UploadsConfig uploads() {
    UploadsConfig defaults = UploadsConfig.defaults();
    return new UploadsConfig(
        seconds("RT_UPLOAD_TTL_SECONDS", defaults.ttl()),
        longValue("RT_UPLOAD_MAX_BYTES", defaults.maxBytes()),
        longValue("RT_UPLOAD_QUOTA_BYTES", defaults.quotaBytes()),
        seconds("RT_INPUT_URL_TTL_SECONDS", defaults.inputUrlTtl()),
        seconds("RT_UPLOAD_SWEEP_INTERVAL_SECONDS", defaults.sweepInterval()));
  }

  private AuthConfig auth() {
    AuthConfig.RateLimits defaults = AuthConfig.RateLimits.DEFAULTS;
    return new AuthConfig(
        optional("RT_JWT_PRIVATE_JWK"),
        optional("RT_JWT_KEY_FILE").map(Path::of),
        optional("RT_JWT_ISSUER").orElse(AuthConfig.DEFAULT_ISSUER),
        optional("RT_TRUSTED_PROXIES")
            .map(value -> Arrays.stream(value.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList())
            .orElse(List.of()),
        new AuthConfig.RateLimits(
            integer("RT_RATE_LIMIT_LOGIN_PER_MINUTE", defaults.loginPerMinute()),
            integer("RT_RATE_LIMIT_REGISTER_PER_MINUTE", defaults.registerPerMinute()),
            integer("RT_RATE_LIMIT_REFRESH_PER_MINUTE", defaults.refreshPerMinute())));
  }

  /**
   * Anchoring is on with RT_CHAIN_RPC_URL, or in development when the anvil binary is there to
   * start a local chain (like embedded PostgreSQL); otherwise off. Outside production the key
   * defaults to anvil's public dev account; production must name its own key.
   */
  private ChainConfig chain(String environment) {
    Optional<String> rpcUrl = optional("RT_CHAIN_RPC_URL");
    Optional<String> anvilBin = optional("RT_ANVIL_BIN");
    Optional<Path> embeddedAnvil = Optional.empty();
    if (rpcUrl.isEmpty() && "development".equals(environment)) {
      embeddedAnvil = AnvilProcess.locateBinary(anvilBin, Path.of(""));
      if (anvilBin.isPresent() && embeddedAnvil.isEmpty()) {
        throw new IllegalArgumentException("RT_ANVIL_BIN must name an executable anvil binary, got '" + anvilBin.get() + "'");
      }
    }
    Optional<String> privateKey = optional("RT_CHAIN_PRIVATE_KEY");
    if (rpcUrl.isPresent() && privateKey.isEmpty() && "production".equals(environment)) {
      throw new IllegalArgumentException("RT_CHAIN_PRIVATE_KEY is required when RT_CHAIN_RPC_URL is set in production");
    }
    return new ChainConfig(
        rpcUrl,
        embeddedAnvil,
        privateKey,
        optional("RT_ANCHOR_CONTRACT"),
        integer("RT_ANCHOR_CONFIRMATIONS", 3),
        Duration.ofMillis(integer("RT_ANCHOR_POLL_MS", 2000)),
        Duration.ofSeconds(integer("RT_ANCHOR_RESUBMIT_SECONDS", 120)),
        Duration.ofSeconds(integer("RT_CHAIN_RPC_TIMEOUT_SECONDS", 10)),
        Duration.ofSeconds(integer("RT_ANCHOR_INTERVAL", 60)),
        integer("RT_ANCHOR_MAX_ENTRIES", 1000));
  }

  private CreditsConfig credits() {
    StripeConfig defaults = StripeConfig.disabled();
    StripeConfig stripe = new StripeConfig(
        optional("RT_STRIPE_SECRET_KEY"),
        optional("RT_STRIPE_WEBHOOK_SECRET")
            .map(value -> Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
            .orElse(List.of()),
        optional("RT_STRIPE_API_BASE").map(ConfigLoader::uri).orElse(StripeConfig.STRIPE_API),
        optional("RT_CHECKOUT_SUCCESS_URL").orElse(defaults.checkoutSuccessUrl()),
        optional("RT_CHECKOUT_CANCEL_URL").orElse(defaults.checkoutCancelUrl()));
    return new CreditsConfig(
        integer("RT_OPERATOR_SHARE_PERCENT", CreditsConfig.DEFAULT_OPERATOR_SHARE_PERCENT),
        integer("RT_CHECKOUTS_PER_MINUTE", CreditsConfig.DEFAULT_CHECKOUTS_PER_MINUTE),
        stripe);
  }

  private static URI uri(String value) {
    try {
      return new URI(value);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("RT_STRIPE_API_BASE must be a URL, got '" + value + "'");
    }
  }

  private JobsConfig jobs() {
    JobsConfig defaults = JobsConfig.defaults();
    return new JobsConfig(
        optional("RT_JOB_PRICES")
            .map(text -> PerJobType.parse("RT_JOB_PRICES", text, defaults.prices(), JobsConfig::parseCredits))
            .orElse(defaults.prices()),
        optional("RT_JOB_MAX_RUNTIME_SECONDS")
            .map(text -> PerJobType.parse("RT_JOB_MAX_RUNTIME_SECONDS", text, defaults.maxRuntimes(),
                value -> Duration.ofSeconds(Long.parseLong(value))))
            .orElse(defaults.maxRuntimes()),
        seconds("RT_JOB_ACCEPT_TIMEOUT_SECONDS", defaults.acceptTimeout()),
        integer("RT_JOB_MAX_RETRIES", defaults.maxRetries()),
        seconds("RT_NODE_HEARTBEAT_INTERVAL_SECONDS", defaults.heartbeatInterval()),
        seconds("RT_NODE_HEARTBEAT_TIMEOUT_SECONDS", defaults.heartbeatTimeout()),
        seconds("RT_NODE_OFFLINE_AFTER_SECONDS", defaults.offlineAfter()),
        seconds("RT_NODE_RECONNECT_GRACE_SECONDS", defaults.reconnectGrace()),
        integer("RT_NODE_UNHEALTHY_AFTER_FAILURES", defaults.unhealthyAfterFailures()),
        seconds("RT_NODE_UNHEALTHY_COOLDOWN_SECONDS", defaults.unhealthyCooldown()),
        seconds("RT_NODE_CHALLENGE_TTL_SECONDS", defaults.challengeTtl()),
        millis("RT_SWEEPER_INTERVAL_MS", defaults.sweepInterval()),
        millis("RT_NODE_SYNC_INTERVAL_MS", defaults.syncInterval()),
        bool("RT_ALLOW_PRIVATE_INPUT_URLS", false),
        integer("RT_JOB_MAX_FRAMES", defaults.maxFrames()),
        optional("RT_TIER_MULTIPLIERS").map(TierMultipliers::parse).orElse(defaults.tiers()),
        seconds("RT_TASK_RETRY_BASE_SECONDS", defaults.retryBase()),
        integer("RT_MAX_RUNNING_TASKS_PER_USER", defaults.maxRunningTasksPerUser()));
  }

  private StorageConfig storage() {
    StorageConfig defaults = StorageConfig.defaults();
    Optional<StorageConfig.S3> s3 = optional("RT_S3_BUCKET").map(bucket -> new StorageConfig.S3(
        bucket,
        optional("RT_S3_ENDPOINT").map(URI::create),
        optional("RT_S3_REGION").orElse("us-east-1"),
        optional("RT_S3_ACCESS_KEY_ID"),
        optional("RT_S3_SECRET_ACCESS_KEY"),
        optional("RT_S3_PATH_STYLE").map(Boolean::parseBoolean).orElse(optional("RT_S3_ENDPOINT").isPresent())));
    return new StorageConfig(
        optional("RT_STORAGE_DIR").map(Path::of).map(Path::toAbsolutePath),
        optional("RT_PUBLIC_BASE_URL").map(URI::create),
        optional("RT_STORAGE_SIGNING_KEY"),
        longValue("RT_STORAGE_MAX_OBJECT_BYTES", defaults.maxObjectBytes()),
        seconds("RT_RESULT_URL_TTL_SECONDS", defaults.downloadUrlTtl()),
        s3);
  }

  private Duration seconds(String name, Duration fallback) {
    return optional(name).map(value -> Duration.ofSeconds(parseLong(name, value))).orElse(fallback);
  }

  private Duration millis(String name, Duration fallback) {
    return optional(name).map(value -> Duration.ofMillis(parseLong(name, value))).orElse(fallback);
  }

  private long longValue(String name, long fallback) {
    return optional(name).map(value -> parseLong(name, value)).orElse(fallback);
  }

  private static long parseLong(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
    }
  }

  private boolean bool(String name, boolean fallback) {
    return optional(name).map(value -> switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
    }).orElse(fallback);
  }

  private Optional<String> optional(String name) {
    return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
  }

  private int integer(String name, int fallback) {
    return optional(name).map(value -> {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
      }
    }).orElse(fallback);
  }
}
