package com.rendertrust.server.testing;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.Integrations;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import io.grpc.ManagedChannel;
import io.grpc.Server;
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

  public static TestServer start(ServerConfig config) {
    return start(config, Integrations.none());
  }

  public static TestServer start(ServerConfig config, Integrations integrations) {
    ControlPlane controlPlane = ControlPlane.start(config, integrations);
    String name = InProcessServerBuilder.generateName();
    try {
      Server server = controlPlane
          .bindTo(InProcessServerBuilder.forName(name).executor(Executors.newVirtualThreadPerTaskExecutor()))
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
          Optional.empty(), 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(5), JobsConfig.defaults(),
          StorageConfig.defaults());
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

  public HttpResponse<String> get(String path, String bearer) {
    return send(HttpRequest.newBuilder(uri(path)).header("Authorization", bearer).GET());
  }

  public HttpResponse<String> postJson(String path, String json, String bearer) {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .header("Authorization", bearer)
        .POST(HttpRequest.BodyPublishers.ofString(json)));
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
