package com.rendertrust.server.auth;

import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.auth.ClientAddressResolver;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.http.PlainRoute;
import com.rendertrust.server.platform.ratelimit.RateLimiter;
import com.rendertrust.server.platform.redis.RedisConnector;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The identity feature as the composition root wires it: token issuing and checking, the
 * denylist, rate limits, the access-control interceptor every service runs behind, the
 * {@code AuthService} adapter and the JWKS document. Other features use {@link #tokens()}
 * (node tokens), {@link #revocations()}, {@link #rateLimiter()} and {@link #sessions()} (an
 * administrator deactivating a user; wallet sign-in starting sessions).
 */
public record Identity(
    TokenService tokens,
    TokenRevocations revocations,
    RateLimiter rateLimiter,
    AccessControlInterceptor accessControl,
    AuthGrpcService grpcService,
    PlainRoute jwksRoute,
    SessionService sessions) {

  public static final String JWKS_PATH = "/.well-known/jwks.json";

  /**
   * @param redisKeyPrefix namespace of this installation's Redis keys (shared by its replicas)
   */
  public static Identity create(AuthConfig config, String environment, Path dataDir, Database database,
      RedisConnector redis, String redisKeyPrefix, Closer closer, Clock clock) {
    TokenService tokens = new TokenService(signingKeys(config, environment, dataDir), config.jwtIssuer(), clock);
    TokenRevocations revocations = closer.register(new TokenRevocations(database, redis, redisKeyPrefix, clock));
    RateLimiter limiter = new RateLimiter(redis, redisKeyPrefix);
    SessionService sessions = new SessionService(database, tokens, revocations, limiter,
        config.rateLimits().refreshPerMinute(), clock);
    AccountService accounts = new AccountService(database, new PasswordHasher(), sessions, limiter, config.rateLimits());
    ApiKeyService apiKeys = new ApiKeyService(database, clock);
    AccessControlInterceptor accessControl = new AccessControlInterceptor(AccessPolicy.table(),
        new CredentialAuthenticator(tokens, revocations, apiKeys), new ClientAddressResolver(config.trustedProxies()));
    PlainRoute jwks = PlainRoute.jsonDocument(JWKS_PATH, Duration.ofMinutes(5), tokens::publicJwks);
    return new Identity(tokens, revocations, limiter, accessControl,
        new AuthGrpcService(accounts, sessions, apiKeys), jwks, sessions);
  }

  /**
   * Production signs with the configured key (every replica must share it); other environments
   * fall back to a key generated once under the data directory.
   */
  private static SigningKeys signingKeys(AuthConfig config, String environment, Path dataDir) {
    if (config.jwtPrivateJwk().isPresent()) {
      return SigningKeys.parse(config.jwtPrivateJwk().get());
    }
    if (config.jwtKeyFile().isPresent()) {
      return SigningKeys.readFile(config.jwtKeyFile().get());
    }
    if ("production".equals(environment)) {
      throw new IllegalArgumentException(
          "production needs a JWT signing key: set RT_JWT_PRIVATE_JWK or RT_JWT_KEY_FILE (an Ed25519 private JWK)");
    }
    return SigningKeys.loadOrCreateDevKey(dataDir);
  }
}
