package com.rendertrust.agent.plugins;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an external program for a job: argv exactly as given (never a shell), in the job's
 * working directory, with the agent's environment minus its own {@code RT_AGENT_*} settings
 * (which may hold the operator token). stdout is read line by line (for progress) and kept in
 * {@code stdout.log}; stderr goes to {@code stderr.log}. When the job must stop, or one of its
 * outputs could not be delivered, the whole process tree gets SIGTERM, then SIGKILL after a short grace.
 */
public final class ProcessRunner {

  private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);
  private static final long TERMINATE_GRACE_MILLIS = 2_000;
  private static final int STDERR_TAIL_BYTES = 1_000;
  private static final int CAPTURE_LIMIT_BYTES = 64 * 1024;

  private final Map<String, String> environment;

  public ProcessRunner(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** How the program ended. */
  public record Exit(int status, String stderrTail) {}

  public Exit run(List<String> argv, JobContext context, Consumer<String> stdoutLines)
      throws PluginFailure, JobStoppedException {
    context.checkStillWanted();
    Path workDir = context.workDir();
    Path stdoutLog = workDir.resolve("stdout.log");
    Path stderrLog = workDir.resolve("stderr.log");
    Process process = start(new ProcessBuilder(argv).directory(workDir.toFile()).redirectError(stderrLog.toFile()));
    log.debug("job {}: started pid {}: {}", context.job().jobId(), process.pid(), argv);
    Thread reader = Thread.ofVirtual().name("stdout-" + process.pid()).start(() -> pump(process, stdoutLog, stdoutLines));
    try {
      while (!process.waitFor(50, TimeUnit.MILLISECONDS)) {
        context.checkStillWanted();
        context.checkDeliveries();
      }
    } catch (InterruptedException e) {
      killTree(process);
      Thread.currentThread().interrupt();
      context.checkStillWanted();
      throw new JobStoppedException(StopReason.SHUTDOWN);
    } catch (JobStoppedException | PluginFailure e) {
      killTree(process);
      throw e;
    } finally {
      joinQuietly(reader);
    }
    context.checkStillWanted();
    return new Exit(process.exitValue(), tail(stderrLog));
  }

  /**
   * Runs a short command outside any job (e.g. {@code blender --version}) and returns what it
   * printed (stdout and stderr, at most 64 KiB); it is killed after {@code timeout}.
   */
  public String capture(List<String> argv, Duration timeout) throws PluginFailure, InterruptedException {
    Process process = start(new ProcessBuilder(argv).redirectErrorStream(true));
    StringBuilder output = new StringBuilder();
    Thread reader = Thread.ofVirtual().name("capture-" + process.pid()).start(() -> {
      try (InputStream in = process.getInputStream()) {
        byte[] bytes = in.readNBytes(CAPTURE_LIMIT_BYTES);
        synchronized (output) {
          output.append(new String(bytes, StandardCharsets.UTF_8));
        }
        in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        // the process ended or was killed: what was read is all there is
      }
    });
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killTree(process);
        throw new PluginFailure("'" + String.join(" ", argv) + "' did not finish within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      killTree(process);
      throw e;
    } finally {
      joinQuietly(reader);
    }
    synchronized (output) {
      return output.toString();
    }
  }

  /** SIGTERM to the process and everything it started, SIGKILL to whatever is left after the grace. */
  static void killTree(Process process) {
    List<ProcessHandle> tree = process.descendants().toList();
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(TERMINATE_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * Starts the program with no stdin and the agent's environment minus its own {@code RT_AGENT_*}
   * settings, which may hold the operator token.
   */
  private Process start(ProcessBuilder builder) throws PluginFailure {
    builder.redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    builder.environment().clear();
    environment.forEach((key, value) -> {
      if (!key.startsWith("RT_AGENT_")) {
        builder.environment().put(key, value);
      }
    });
    try {
      return builder.start();
    } catch (IOException e) {
      throw new PluginFailure("cannot start '" + builder.command().get(0) + "': " + rootMessage(e));
    }
  }

  private static void pump(Process process, Path stdoutLog, Consumer<String> lines) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         OutputStream out = Files.newOutputStream(stdoutLog)) {
      String line;
      while ((line = reader.readLine()) != null) {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        try {
          lines.accept(line);
        } catch (RuntimeException e) {
          log.debug("stdout line handler failed", e);
        }
      }
    } catch (IOException e) {
      // the process ended or was killed: nothing more to read
    }
  }

  private static void joinQuietly(Thread reader) {
    try {
      // A grandchild that keeps stdout open must not hold the job forever.
      reader.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path file) {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      long from = Math.max(0, length - STDERR_TAIL_BYTES);
      byte[] bytes = new byte[(int) (length - from)];
      raf.seek(from);
      raf.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "";
    }
  }

  private static java.io.File nullDevice() {
    return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
