package com.rendertrust.server.platform.redis;

import com.rendertrust.server.platform.FreePorts;
import com.rendertrust.server.platform.process.ChildProcess;
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
import java.util.OptionalLong;
import redis.embedded.RedisServer;

/**
 * A real redis-server binary (packaged by embedded-redis) for the embedded default and tests,
 * run by this class so that its pid can be noted and its exit noticed.
 */
public final class EmbeddedRedisProcess implements AutoCloseable {

  /** What the pid file and the watchdog recognise the process by. */
  public static final String EXECUTABLE_NAME = "redis-server";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final int port;
  private final List<String> command;
  private final Path logFile;
  private final ChildProcess child;

  private EmbeddedRedisProcess(int port, PidFile pidFile, boolean supervised) {
    this.port = port;
    try {
      // the packaged binary and a config file (nothing persisted: Redis holds only what may be lost)
      this.command = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("save \"\"")
          .setting("appendonly no")
          .buildCommandArgs();
      this.logFile = Files.createTempFile("rendertrust-redis", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare embedded Redis", e);
    }
    this.child = new ChildProcess("Redis on port " + port, this::launch, pidFile, supervised);
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
    process.child.start();
    return process;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public boolean isRunning() {
    return child.isRunning();
  }

  /** The running process's pid, for fault tests. */
  public OptionalLong pid() {
    return child.pid();
  }

  /** How often supervision started it again after it died. */
  public int restarts() {
    return child.restarts();
  }

  /** Stops the process; {@link #restart()} brings it back on the same port. */
  public void stop() {
    child.stop();
  }

  public void restart() {
    child.stop();
    child.start();
  }

  private Process launch() {
    Process process;
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded Redis on port " + port, e);
    }
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

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() {
    child.stop();
    try {
      Files.deleteIfExists(logFile);
      Files.deleteIfExists(Path.of(command.get(1)));
    } catch (IOException ignored) {
      // temporary files; the OS cleans its temp directory eventually
    }
  }
}
