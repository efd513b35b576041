package com.rendertrust.server.platform.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether the embedded default a configuration asks for is in this build. The production build
 * (the server image: the server jar with target/production-lib) leaves embedded PostgreSQL and
 * Redis out, so a start without RT_DATABASE_URL or RT_REDIS_URL there must stop with one clear
 * message instead of a NoClassDefFoundError halfway through the start.
 */
public final class EmbeddedDefault {

  /** The classes the embedded default starts PostgreSQL and Redis with (zonky's, embedded-redis'). */
  static final String POSTGRES_CLASS = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";
  static final String REDIS_CLASS = "redis.embedded.RedisServer";

  private EmbeddedDefault() {
  }

  /**
   * Empty when every embedded part {@code config} needs is loadable from {@code loader} (checked
   * by name, without loading it); otherwise what to set, or which build to run instead.
   */
  public static Optional<String> missingParts(ServerConfig config, ClassLoader loader) {
    List<String> missing = new ArrayList<>();
    List<String> variables = new ArrayList<>();
    if (config.embeddedDatabase() && !present(POSTGRES_CLASS, loader)) {
      missing.add("PostgreSQL");
      variables.add("RT_DATABASE_URL");
    }
    if (config.embeddedRedis() && !present(REDIS_CLASS, loader)) {
      missing.add("Redis");
      variables.add("RT_REDIS_URL");
    }
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("this is the production build, which has no embedded " + String.join(" or ", missing)
        + ": set " + String.join(" and ", variables) + " (docs/configuration.md), or run the development build"
        + " (./rendertrust dev) for the embedded default");
  }

  private static boolean present(String className, ClassLoader loader) {
    return loader.getResource(className.replace('.', '/') + ".class") != null;
  }
}
