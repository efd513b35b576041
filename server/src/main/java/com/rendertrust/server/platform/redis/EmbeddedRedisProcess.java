package com.rendertrust.server.platform.redis;

import com.rendertrust.server.platform.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import redis.embedded.RedisServer;

/** A real redis-server binary (packaged by embedded-redis) for the embedded default and tests. */
public final class EmbeddedRedisProcess implements AutoCloseable {

  private final int port;
  private RedisServer server;

  private EmbeddedRedisProcess(int port) {
    this.port = port;
  }

  /** Starts redis-server on a free loopback port; nothing is persisted (Redis holds only what may be lost). */
  public static EmbeddedRedisProcess start() {
    EmbeddedRedisProcess process = new EmbeddedRedisProcess(FreePorts.any());
    process.startServer();
    return process;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public synchronized boolean isRunning() {
    return server != null && server.isActive();
  }

  /** Stops the process; {@link #restart()} brings it back on the same port. */
  public synchronized void stop() {
    if (server != null) {
      try {
        server.stop();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      server = null;
    }
  }

  public synchronized void restart() {
    stop();
    startServer();
  }

  private synchronized void startServer() {
    try {
      server = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("save \"\"")
          .setting("appendonly no")
          .onShutdownForceStop(true)
          .build();
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded Redis on port " + port, e);
    }
  }

  @Override
  public void close() {
    stop();
  }
}
