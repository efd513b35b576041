package com.rendertrust.server.testing;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The real composition root on a random HTTP port, plus the same services on an in-process gRPC
 * server, against real PostgreSQL (a database of its own) and Redis.
 */
public final class TestServer implements AutoCloseable {

  private final ControlPlane controlPlane;
  private final Server inProcessServer;
  private final ManagedChannel channel;
  private final HttpClient http = HttpClient.newBuilder()
      // REST clients of this API speak HTTP/1.1; h2c answers an oversized body with RST_STREAM instead of 413.
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private TestServer(ControlPlane controlPlane, Server inProcessServer, ManagedChannel channel) {
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
   * port is exactly what production serves), e.g. {@link TestCallerInterceptor}.
   */
  public static TestServer start(ServerConfig config, ServerInterceptor... inProcessInterceptors) {
    ControlPlane controlPlane = ControlPlane.start(config);
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
      return new TestServer(controlPlane, server, channel);
    } catch (IOException e) {
      controlPlane.close();
      throw new UncheckedIOException(e);
    }
  }

  /** A test configuration: port 0, a throwaway data directory, embedded database and Redis unless set. */
  public static ServerConfig testConfig() {
    try {
      Path dataDir = Files.createTempDirectory("rendertrust-test");
      return new ServerConfig("test", 0, dataDir, Optional.empty(), Optional.empty(), Optional.empty(), 8,
          Optional.empty(), 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(5), CreditsConfig.defaults());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public HttpResponse<String> postJson(String path, String json) {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
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
