package com.rendertrust.server.platform.redis;

import com.rendertrust.server.platform.FreePorts;
import com.rendertrust.server.platform.process.EmbeddedProcess;
import com.rendertrust.server.platform.process.PidFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import redis.embedded.RedisServer;

/**
 * A real redis-server binary (packaged by embedded-redis) for the embedded default and tests,
 * run by this class so that its pid can be noted and its exit noticed.
 */
public final class EmbeddedRedisProcess extends EmbeddedProcess {

  /** What the pid file and the watchdog recognise the process by. */
  public static final String EXECUTABLE_NAME = "redis-server";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final int port;
  private final List<String> command;

  private EmbeddedRedisProcess(int port, PidFile pidFile, boolean supervised) {
    super("Redis on port " + port, pidFile, supervised);
    this.port = port;
    try {
      // the packaged binary and a config file (nothing persisted: Redis holds only what may be lost)
      this.command = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("save \"\"")
          .setting("appendonly no")
          .buildCommandArgs();
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare embedded Redis", e);
    }
  }

  /** Starts redis-server on a free loopback port, unsupervised and unrecorded (tests). */
  public static EmbeddedRedisProcess start() {
    return start(PidFile.none(EXECUTABLE_NAME), false);
  }

  /**
   * Starts redis-server on a free loopback port, noted in {@code pidFile}; {@code supervised}
   * starts it again on the same port whenever it exits without {@link #stop()} (the embedded
   * default: the server's clients reconnect by themselves).
   */
  public static EmbeddedRedisProcess start(PidFile pidFile, boolean supervised) {
    EmbeddedRedisProcess process = new EmbeddedRedisProcess(FreePorts.any(), pidFile, supervised);
    process.startProcess();
    return process;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  protected Process launch() {
    Process process = run(command);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!answersPing()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("embedded Redis did not start on port " + port + ": " + logTail());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IllegalStateException("interrupted while starting embedded Redis", e);
      }
    }
    return process;
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = new byte[7];
      int read = in.readNBytes(reply, 0, 7);
      return new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException notYet) {
      return false;
    }
  }

  @Override
  public void close() {
    super.close();
    try {
      Files.deleteIfExists(Path.of(command.get(1)));
    } catch (IOException ignored) {
      // its config file, in the temp directory, which the OS cleans eventually
    }
  }
}
