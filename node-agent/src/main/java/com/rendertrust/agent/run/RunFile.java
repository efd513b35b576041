package com.rendertrust.agent.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.agent.identity.SecureFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * One running agent per config dir: {@code agent.lock} is held (an OS file lock, released even
 * when the process is killed) for as long as {@code run} runs, because two agents with one
 * identity would keep replacing each other's stream. {@code run.json} tells {@code status} where
 * the running agent's local endpoint is.
 */
public final class RunFile implements AutoCloseable {

  public static final String LOCK_FILE = "agent.lock";
  public static final String RUN_FILE = "run.json";

  /** What {@code run.json} says about the running agent. */
  public record RunInfo(long pid, String healthHost, int healthPort, Instant startedAt) {}

  private final Path configDir;
  private final FileChannel channel;
  private final FileLock lock;

  private RunFile(Path configDir, FileChannel channel, FileLock lock) {
    this.configDir = configDir;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or fails with an operator-readable message when another agent holds it. */
  public static RunFile acquire(Path configDir) throws IOException {
    SecureFiles.ensurePrivateDirectory(configDir);
    Path lockFile = configDir.resolve(LOCK_FILE);
    SecureFiles.createOwnerOnly(lockFile);
    FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      String pid = read(configDir).map(info -> " (pid " + info.pid() + ")").orElse("");
      throw new IOException("another agent is already running with config dir " + configDir + pid
          + "; stop it first, or give this one its own --config-dir");
    }
    return new RunFile(configDir, channel, lock);
  }

  public void publish(long pid, String healthHost, int healthPort, Instant startedAt) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode node = json.createObjectNode();
    node.put("pid", pid);
    node.put("health_host", healthHost);
    node.put("health_port", healthPort);
    node.put("started_at", startedAt.toString());
    SecureFiles.writePublic(configDir.resolve(RUN_FILE), json.writeValueAsBytes(node));
  }

  public static Optional<RunInfo> read(Path configDir) {
    Path file = configDir.resolve(RUN_FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode node = new ObjectMapper().readTree(file.toFile());
      return Optional.of(new RunInfo(node.path("pid").asLong(), node.path("health_host").asText("127.0.0.1"),
          node.path("health_port").asInt(), Instant.parse(node.path("started_at").asText())));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(configDir.resolve(RUN_FILE));
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the OS drops the lock with the process anyway
    }
  }
}
