package com.rendertrust.server.platform.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
        auth());
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
