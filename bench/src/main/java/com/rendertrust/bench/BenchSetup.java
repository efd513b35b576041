package com.rendertrust.bench;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.server.auth.SigningKeys;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What the benchmarks share: the server's configuration, creators and operators, the scratch directory. */
final class BenchSetup {

  private BenchSetup() {
  }

  /** Production settings on {@code postgres}, but for the registration rate limit (all clients come from 127.0.0.1). */
  static ServerConfig serverConfig(Path dataDir, EmbeddedPostgres postgres, int pool, JobsConfig jobs) {
    AuthConfig auth = AuthConfig.defaults().withPrivateJwk(SigningKeys.generatePrivateJwk())
        .withRateLimits(new AuthConfig.RateLimits(AuthConfig.RateLimits.DEFAULTS.loginPerMinute(), 100_000,
            AuthConfig.RateLimits.DEFAULTS.refreshPerMinute()));
    return new ServerConfig("bench", 0, dataDir, Optional.of(postgres.getJdbcUrl("postgres", "postgres")),
        Optional.of("postgres"), Optional.empty(), pool, Optional.empty(), 1024 * 1024,
        Duration.ofSeconds(30), Duration.ofSeconds(5), auth, ChainConfig.disabled(), CreditsConfig.defaults(), jobs,
        StorageConfig.defaults());
  }

  static RegisterResponse register(AuthServiceGrpc.AuthServiceBlockingStub auth, String name) {
    return auth.withDeadlineAfter(30, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
        .setEmail(name + "@bench.example").setName(name).setPassword("bench-password-" + name).build());
  }

  static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory; the OS cleans it eventually
    }
  }
}
