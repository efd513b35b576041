package com.rendertrust.server.platform.config;

import java.net.URI;
import java.net.URISyntaxException;
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
        credits());
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
