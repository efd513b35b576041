package com.rendertrust.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process the tests started (a server or an agent JVM), its output appended to a log file
 * under target/ so that a failure can be read afterwards.
 */
final class ManagedProcess {

  private final String name;
  private final Process process;
  private final Path log;
  /** Children seen while it ran (embedded PostgreSQL, Redis, a job's command): they outlive a crashed parent. */
  private final java.util.Set<ProcessHandle> children = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command} with exactly {@code environment} plus the parent's non-RenderTrust variables. */
  static ManagedProcess start(String name, List<String> command, Map<String, String> environment, Path workingDir,
      Path log) {
    try {
      Files.createDirectories(log.getParent());
      Files.writeString(log, "\n===== " + name + ": " + String.join(" ", redactClasspath(command)) + "\n",
          StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      ProcessBuilder builder = new ProcessBuilder(command)
          .directory(workingDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      // A developer's own RT_* settings (an external database, a fixed port) must not leak in.
      builder.environment().keySet().removeIf(key -> key.startsWith("RT_"));
      builder.environment().putAll(environment);
      return new ManagedProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name, e);
    }
  }

  private static List<String> redactClasspath(List<String> command) {
    return command.stream().map(part -> part.length() > 300 ? part.substring(0, 80) + "…" : part).toList();
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  /** Whether it runs; also notes its children, so that they can be stopped even if it dies first. */
  boolean isAlive() {
    process.descendants().forEach(children::add);
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** Waits for the process to end on its own; -1 when it did not within {@code timeout}. */
  int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /**
   * SIGTERM, as a supervisor stops a service (the JVM's shutdown hook drains and stops what it
   * started); SIGKILL for whatever is left after {@code timeout}.
   */
  void stop(Duration timeout) throws InterruptedException {
    if (isAlive()) {
      process.destroy();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * SIGKILL, like a machine losing power: the JVM gets no chance to report anything. Its child
   * processes (a job's command) are killed right after it, as the machine would take them too;
   * killing them first would let the agent report their failure.
   */
  void kill() throws InterruptedException {
    isAlive();
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * SIGKILL of this process alone, as the OOM killer or {@code kill -9 PID} does it: whatever it
   * started (embedded PostgreSQL, Redis, anvil, their watchdog) is left as such a crash leaves it.
   */
  void crash() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Sends {@code signal} (STOP, CONT, KILL, ...) to any process, as {@code kill -SIGNAL PID} does. */
  static void signal(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new AssertionError("kill -" + signal + " " + pid + " failed: "
            + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Whether a process with that pid runs (and is not a zombie waiting for its parent). */
  static boolean running(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
