package com.rendertrust.server.platform.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Identity settings: where the JWT signing key comes from, which proxies may name the client
 * address, and the per-client rate limits of the unauthenticated auth RPCs.
 *
 * @param jwtPrivateJwk  the signing key as a private JWK (or a JWK set whose first private key
 *                       signs and whose other keys still verify, for rotation); a secret
 * @param jwtKeyFile     a file holding such a JWK or JWK set, as an alternative to the inline value
 * @param jwtIssuer      the {@code iss} and {@code aud} of every token this deployment issues
 * @param trustedProxies IP addresses or CIDR blocks whose {@code X-Forwarded-For} is believed
 * @param rateLimits     attempts per minute and client
 */
public record AuthConfig(
    Optional<String> jwtPrivateJwk,
    Optional<Path> jwtKeyFile,
    String jwtIssuer,
    List<String> trustedProxies,
    RateLimits rateLimits) {

  public static final String DEFAULT_ISSUER = "rendertrust";

  /** Per-minute limits of the auth RPCs (per client IP; login also per e-mail). */
  public record RateLimits(int loginPerMinute, int registerPerMinute, int refreshPerMinute) {

    /** The documented contract: login 5/min, register 10/min, refresh 3/min. */
    public static final RateLimits DEFAULTS = new RateLimits(5, 10, 3);

    public RateLimits {
      if (loginPerMinute < 1 || registerPerMinute < 1 || refreshPerMinute < 1) {
        throw new IllegalArgumentException("rate limits (RT_RATE_LIMIT_*_PER_MINUTE) must be >= 1");
      }
    }
  }

  public AuthConfig {
    Objects.requireNonNull(jwtPrivateJwk, "jwtPrivateJwk");
    Objects.requireNonNull(jwtKeyFile, "jwtKeyFile");
    Objects.requireNonNull(rateLimits, "rateLimits");
    trustedProxies = List.copyOf(trustedProxies);
    if (jwtIssuer == null || jwtIssuer.isBlank()) {
      throw new IllegalArgumentException("RT_JWT_ISSUER must not be empty");
    }
  }

  public static AuthConfig defaults() {
    return new AuthConfig(Optional.empty(), Optional.empty(), DEFAULT_ISSUER, List.of(), RateLimits.DEFAULTS);
  }

  public boolean signingKeyConfigured() {
    return jwtPrivateJwk.isPresent() || jwtKeyFile.isPresent();
  }

  public AuthConfig withPrivateJwk(String jwk) {
    return new AuthConfig(Optional.of(jwk), jwtKeyFile, jwtIssuer, trustedProxies, rateLimits);
  }

  public AuthConfig withRateLimits(RateLimits limits) {
    return new AuthConfig(jwtPrivateJwk, jwtKeyFile, jwtIssuer, trustedProxies, limits);
  }

  public AuthConfig withTrustedProxies(List<String> proxies) {
    return new AuthConfig(jwtPrivateJwk, jwtKeyFile, jwtIssuer, proxies, rateLimits);
  }

  /** Never prints the private key. */
  @Override
  public String toString() {
    return "AuthConfig[jwtPrivateJwk=" + (jwtPrivateJwk.isPresent() ? "***" : "<none>")
        + ", jwtKeyFile=" + jwtKeyFile.map(Path::toString).orElse("<none>")
        + ", jwtIssuer=" + jwtIssuer + ", trustedProxies=" + trustedProxies + ", rateLimits=" + rateLimits + "]";
  }
}
