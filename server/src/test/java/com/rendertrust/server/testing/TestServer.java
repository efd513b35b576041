package com.rendertrust.server.testing;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.auth.SigningKeys;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The real composition root on a random HTTP port, plus the same services on an in-process gRPC
 * server, against real PostgreSQL (a database of its own) and Redis.
 */
public final class TestServer implements AutoCloseable {

  private final ServerConfig config;
  private final ControlPlane controlPlane;
  private final Server inProcessServer;
  private final ManagedChannel channel;
  private final HttpClient http = HttpClient.newBuilder()
      // REST clients of this API speak HTTP/1.1; h2c answers an oversized body with RST_STREAM instead of 413.
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private TestServer(ServerConfig config, ControlPlane controlPlane, Server inProcessServer, ManagedChannel channel) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.inProcessServer = inProcessServer;
    this.channel = channel;
  }

  public static TestServer start() {
    return start(TestInfrastructure.redisUrl());
  }

  public static TestServer start(String redisUrl) {
    return start(testConfig().withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null).withRedis(redisUrl));
  }

  /** The test configuration on a fresh database and the shared Redis, to adjust before {@link #start(ServerConfig, ServerInterceptor...)}. */
  public static ServerConfig freshConfig() {
    return testConfig().withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(TestInfrastructure.redisUrl());
  }

  /**
   * {@code inProcessInterceptors} run outermost on the in-process gRPC server only (the HTTP
   * port is exactly what production serves), e.g. a fault injector.
   */
  public static TestServer start(ServerConfig config, ServerInterceptor... inProcessInterceptors) {
    return start(config, Clock.systemUTC(), inProcessInterceptors);
  }

  /** As above, with the clock jobs, nodes and result URLs read (see {@link ControlPlane#start(ServerConfig, Clock)}). */
  public static TestServer start(ServerConfig config, Clock jobsClock, ServerInterceptor... inProcessInterceptors) {
    return start(ControlPlane.start(config, jobsClock), config, inProcessInterceptors);
  }

  /** As {@link #start(ServerConfig)}, its traces recorded by {@code openTelemetry} (e.g. an in-memory exporter). */
  public static TestServer traced(ServerConfig config, io.opentelemetry.api.OpenTelemetry openTelemetry) {
    return start(ControlPlane.start(config, Clock.systemUTC(), openTelemetry), config);
  }

  private static TestServer start(ControlPlane controlPlane, ServerConfig config, ServerInterceptor... inProcessInterceptors) {
    String name = InProcessServerBuilder.generateName();
    try {
      InProcessServerBuilder builder = InProcessServerBuilder.forName(name)
          .executor(Executors.newVirtualThreadPerTaskExecutor());
      for (ServerInterceptor interceptor : inProcessInterceptors) {
        builder.intercept(interceptor);
      }
      Server server = controlPlane
          .bindTo(builder)
          .build()
          .start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      return new TestServer(config, controlPlane, server, channel);
    } catch (IOException e) {
      controlPlane.close();
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Rate limits high enough that tests which are not about limits never meet them (every test
   * client shares one address). Tests of the limits set {@link AuthConfig.RateLimits#DEFAULTS}.
   */
  public static final AuthConfig.RateLimits GENEROUS_RATE_LIMITS = new AuthConfig.RateLimits(10_000, 10_000, 10_000);

  /**
   * A test configuration: port 0, a throwaway data directory, embedded database and Redis unless
   * set, a fresh JWT signing key of its own, and {@link #GENEROUS_RATE_LIMITS}.
   */
  public static ServerConfig testConfig() {
    try {
      Path dataDir = Files.createTempDirectory("rendertrust-test");
      AuthConfig auth = AuthConfig.defaults()
          .withPrivateJwk(SigningKeys.generatePrivateJwk())
          .withRateLimits(GENEROUS_RATE_LIMITS);
      return new ServerConfig("test", 0, dataDir, Optional.empty(), Optional.empty(), Optional.empty(), 8,
          Optional.empty(), 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(5), auth,
          ChainConfig.disabled(), CreditsConfig.defaults(), JobsConfig.defaults(), StorageConfig.defaults());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The configuration this server started with (e.g. its JWT signing key, to forge test tokens). */
  public ServerConfig config() {
    return config;
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + controlPlane.httpPort() + path);
  }

  /** {@code headers}: name/value pairs, e.g. {@code user.authHeader()}. */
  public HttpResponse<String> get(String path, String... headers) {
    return send(withHeaders(HttpRequest.newBuilder(uri(path)).GET(), headers));
  }

  public HttpResponse<String> postJson(String path, String json, String... headers) {
    return send(withHeaders(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)), headers));
  }

  public HttpResponse<String> delete(String path, String... headers) {
    return send(withHeaders(HttpRequest.newBuilder(uri(path)).DELETE(), headers));
  }

  private static HttpRequest.Builder withHeaders(HttpRequest.Builder request, String... headers) {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers come in name/value pairs");
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return request;
  }

  public HttpResponse<String> postBody(String path, String contentType, String body, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request);
  }

  public HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    inProcessServer.shutdownNow();
    try {
      inProcessServer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    controlPlane.close();
  }
}
