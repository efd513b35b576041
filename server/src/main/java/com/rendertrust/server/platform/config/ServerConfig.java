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
    return toBuilder().httpPort(port).build();
  }

  public ServerConfig withDatabase(String url, String user, String password) {
    return toBuilder().databaseUrl(Optional.of(url)).databaseUser(Optional.ofNullable(user))
        .databasePassword(Optional.ofNullable(password)).build();
  }

  public ServerConfig withRedis(String url) {
    return toBuilder().redisUrl(Optional.of(url)).build();
  }

  public ServerConfig withAuth(AuthConfig newAuth) {
    return toBuilder().auth(newAuth).build();
  }

  public ServerConfig withChain(ChainConfig chainConfig) {
    return toBuilder().chain(chainConfig).build();
  }

  public ServerConfig withCredits(CreditsConfig newCredits) {
    return toBuilder().credits(newCredits).build();
  }

  public ServerConfig withJobs(JobsConfig newJobs) {
    return toBuilder().jobs(newJobs).build();
  }

  public ServerConfig withStorage(StorageConfig newStorage) {
    return toBuilder().storage(newStorage).build();
  }

  public ServerConfig withUploads(UploadsConfig newUploads) {
    return toBuilder().uploads(newUploads).build();
  }

  public ServerConfig withCors(CorsConfig newCors) {
    return toBuilder().cors(newCors).build();
  }

  public ServerConfig withTokens(TokensConfig newTokens) {
    return toBuilder().tokens(newTokens).build();
  }

  public ServerConfig withWebhooks(WebhooksConfig newWebhooks) {
    return toBuilder().webhooks(newWebhooks).build();
  }

  /** A builder starting from this config: set what differs, then {@link Builder#build()} (which validates). */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** One setter per component, so a new component is one line here instead of one in every copy. */
  public static final class Builder {
    private String environment;
    private int httpPort;
    private Path dataDir;
    private Optional<String> databaseUrl;
    private Optional<String> databaseUser;
    private Optional<String> databasePassword;
    private int databasePoolSize;
    private Optional<String> redisUrl;
    private int maxRequestBytes;
    private Duration requestTimeout;
    private Duration shutdownGrace;
    private AuthConfig auth;
    private ChainConfig chain;
    private CreditsConfig credits;
    private JobsConfig jobs;
    private StorageConfig storage;
    private UploadsConfig uploads;
    private CorsConfig cors;
    private TokensConfig tokens;
    private WebhooksConfig webhooks;

    private Builder(ServerConfig from) {
      this.environment = from.environment;
      this.httpPort = from.httpPort;
      this.dataDir = from.dataDir;
      this.databaseUrl = from.databaseUrl;
      this.databaseUser = from.databaseUser;
      this.databasePassword = from.databasePassword;
      this.databasePoolSize = from.databasePoolSize;
      this.redisUrl = from.redisUrl;
      this.maxRequestBytes = from.maxRequestBytes;
      this.requestTimeout = from.requestTimeout;
      this.shutdownGrace = from.shutdownGrace;
      this.auth = from.auth;
      this.chain = from.chain;
      this.credits = from.credits;
      this.jobs = from.jobs;
      this.storage = from.storage;
      this.uploads = from.uploads;
      this.cors = from.cors;
      this.tokens = from.tokens;
      this.webhooks = from.webhooks;
    }

    public Builder environment(String value) {
      this.environment = value;
      return this;
    }

    public Builder httpPort(int value) {
      this.httpPort = value;
      return this;
    }

    public Builder dataDir(Path value) {
      this.dataDir = value;
      return this;
    }

    public Builder databaseUrl(Optional<String> value) {
      this.databaseUrl = value;
      return this;
    }

    public Builder databaseUser(Optional<String> value) {
      this.databaseUser = value;
      return this;
    }

    public Builder databasePassword(Optional<String> value) {
      this.databasePassword = value;
      return this;
    }

    public Builder databasePoolSize(int value) {
      this.databasePoolSize = value;
      return this;
    }

    public Builder redisUrl(Optional<String> value) {
      this.redisUrl = value;
      return this;
    }

    public Builder maxRequestBytes(int value) {
      this.maxRequestBytes = value;
      return this;
    }

    public Builder requestTimeout(Duration value) {
      this.requestTimeout = value;
      return this;
    }

    public Builder shutdownGrace(Duration value) {
      this.shutdownGrace = value;
      return this;
    }

    public Builder auth(AuthConfig value) {
      this.auth = value;
      return this;
    }

    public Builder chain(ChainConfig value) {
      this.chain = value;
      return this;
    }

    public Builder credits(CreditsConfig value) {
      this.credits = value;
      return this;
    }

    public Builder jobs(JobsConfig value) {
      this.jobs = value;
      return this;
    }

    public Builder storage(StorageConfig value) {
      this.storage = value;
      return this;
    }

    public Builder uploads(UploadsConfig value) {
      this.uploads = value;
      return this;
    }

    public Builder cors(CorsConfig value) {
      this.cors = value;
      return this;
    }

    public Builder tokens(TokensConfig value) {
      this.tokens = value;
      return this;
    }

    public Builder webhooks(WebhooksConfig value) {
      this.webhooks = value;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(environment, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
          databasePoolSize, redisUrl, maxRequestBytes, requestTimeout, shutdownGrace, auth, chain,
          credits, jobs, storage, uploads, cors, tokens, webhooks);
    }
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
