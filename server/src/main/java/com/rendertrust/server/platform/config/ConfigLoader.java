package com.rendertrust.server.platform.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Reads {@link ServerConfig} from {@code RT_*} environment variables; the README lists each one. */
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
        jobs(),
        storage());
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
        millis("RT_NODE_SYNC_INTERVAL_MS", defaults.syncInterval()));
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
