package com.rendertrust.server.platform.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the control plane needs to start, read once at startup. Empty optionals mean
 * "use the embedded default": the composition root then starts the real binaries itself.
 */
public record ServerConfig(
    String environment,
    int httpPort,
    Path dataDir,
    Optional<String> databaseUrl,
    Optional<String> databaseUser,
    Optional<String> databasePassword,
    int databasePoolSize,
    Optional<String> redisUrl,
    int maxRequestBytes,
    Duration requestTimeout,
    Duration shutdownGrace,
    AuthConfig auth,
    ChainConfig chain,
    CreditsConfig credits,
    JobsConfig jobs,
    StorageConfig storage,
    UploadsConfig uploads,
    CorsConfig cors,
    TokensConfig tokens,
    WebhooksConfig webhooks) {

  /** With no browser (CORS) access and the default token and webhook settings. */
  public ServerConfig(String environment, int httpPort, Path dataDir, Optional<String> databaseUrl,
      Optional<String> databaseUser, Optional<String> databasePassword, int databasePoolSize, Optional<String> redisUrl,
      int maxRequestBytes, Duration requestTimeout, Duration shutdownGrace, AuthConfig auth, ChainConfig chain,
      CreditsConfig credits, JobsConfig jobs, StorageConfig storage, UploadsConfig uploads) {
    this(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword, databasePoolSize, redisUrl,
        maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs, storage, uploads, CorsConfig.none(),
        TokensConfig.defaults(), WebhooksConfig.defaults());
  }

  /** With the default upload settings. */
  public ServerConfig(String environment, int httpPort, Path dataDir, Optional<String> databaseUrl,
      Optional<String> databaseUser, Optional<String> databasePassword, int databasePoolSize, Optional<String> redisUrl,
      int maxRequestBytes, Duration requestTimeout, Duration shutdownGrace, AuthConfig auth, ChainConfig chain,
      CreditsConfig credits, JobsConfig jobs, StorageConfig storage) {
    this(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword, databasePoolSize, redisUrl,
        maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs, storage, UploadsConfig.defaults());
  }

  public ServerConfig {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(credits, "credits");
    Objects.requireNonNull(jobs, "jobs");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(uploads, "uploads");
    Objects.requireNonNull(cors, "cors");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(webhooks, "webhooks");
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("RT_HTTP_PORT must be 0..65535, got " + httpPort);
    }
    if (databasePoolSize < 1) {
      throw new IllegalArgumentException("RT_DATABASE_POOL_SIZE must be >= 1");
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException("RT_MAX_REQUEST_BYTES must be >= 1024");
    }
  }

  public boolean embeddedDatabase() {
    return databaseUrl.isEmpty();
  }

  /** The dev database keeps its data across restarts, so it runs with fsync on; tests trade that for speed. */
  public boolean durableEmbeddedDatabase() {
    return !"test".equals(environment);
  }

  public boolean embeddedRedis() {
    return redisUrl.isEmpty();
  }

  public ServerConfig withHttpPort(int port) {
    return new ServerConfig(environment, port, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs, storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withDatabase(String url, String user, String password) {
    return new ServerConfig(environment, httpPort, dataDir, Optional.of(url), Optional.ofNullable(user),
        Optional.ofNullable(password), databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace,
        auth, chain, credits, jobs, storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withRedis(String url) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, Optional.of(url), maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits,
        jobs, storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withAuth(AuthConfig newAuth) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, newAuth, chain, credits, jobs,
        storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withChain(ChainConfig chainConfig) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chainConfig, credits, jobs,
        storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withCredits(CreditsConfig newCredits) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, newCredits, jobs,
        storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withJobs(JobsConfig newJobs) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, newJobs,
        storage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withStorage(StorageConfig newStorage) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs,
        newStorage, uploads, cors, tokens, webhooks);
  }

  public ServerConfig withUploads(UploadsConfig newUploads) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs,
        storage, newUploads, cors, tokens, webhooks);
  }

  public ServerConfig withCors(CorsConfig newCors) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs,
        storage, uploads, newCors, tokens, webhooks);
  }

  public ServerConfig withTokens(TokensConfig newTokens) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs,
        storage, uploads, cors, newTokens, webhooks);
  }

  public ServerConfig withWebhooks(WebhooksConfig newWebhooks) {
    return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
        databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain, credits, jobs,
        storage, uploads, cors, tokens, newWebhooks);
  }

  /** Never prints credentials: the config is logged at startup and may appear in error reports. */
  @Override
  public String toString() {
    return "ServerConfig[environment=" + environment + ", httpPort=" + httpPort + ", dataDir=" + dataDir
        + ", databaseUrl=" + databaseUrl.map(ServerConfig::redactUrl).orElse("<embedded>")
        + ", databaseUser=" + databaseUser.orElse("<default>")
        + ", databasePassword=" + (databasePassword.isPresent() ? "***" : "<none>")
        + ", databasePoolSize=" + databasePoolSize
        + ", redisUrl=" + redisUrl.map(ServerConfig::redactUrl).orElse("<embedded>")
        + ", maxRequestBytes=" + maxRequestBytes + ", requestTimeout=" + requestTimeout
        + ", shutdownGrace=" + shutdownGrace + ", auth=" + auth + ", chain=" + chain + ", credits=" + credits
        + ", jobs=" + jobs + ", storage=" + storage + ", uploads=" + uploads + ", cors=" + cors
        + ", tokens=" + tokens + ", webhooks=" + webhooks + "]";
  }

  private static String redactUrl(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("//[^/@]*@", "//***@");
  }
}
