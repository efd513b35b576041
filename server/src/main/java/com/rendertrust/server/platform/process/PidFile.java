package com.rendertrust.server.platform.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the server notes one embedded process it started ({@code RT_DATA_DIR/run/NAME.pid}): its
 * pid, start time and executable name, so that the watchdog and the next start can stop it if
 * the server died without doing so, and never mistake another process that got the same pid.
 * Three lines, plain text, so that the watchdog's shell can read them too.
 */
public final class PidFile {

  /** A start time read back may differ from the one written by a clock tick; a recycled pid differs by far more. */
  private static final Duration START_TOLERANCE = Duration.ofSeconds(2);

  private final Path path;
  private final String executableName;

  PidFile(Path path, String executableName) {
    this.path = path;
    this.executableName = executableName;
  }

  /** A record that records nothing, for processes started outside a server's data directory (tests). */
  public static PidFile none(String executableName) {
    return new PidFile(null, executableName);
  }

  Path path() {
    return path;
  }

  String executableName() {
    return executableName;
  }

  /** Notes {@code process} as started (replacing whatever was noted before under this name). */
  public void started(ProcessHandle process) {
    if (path == null) {
      return;
    }
    String started = process.info().startInstant().map(Instant::toEpochMilli).map(String::valueOf).orElse("0");
    try {
      Files.createDirectories(path.getParent());
      Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
      Files.writeString(temporary, process.pid() + "\n" + started + "\n" + executableName + "\n", StandardCharsets.UTF_8);
      Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + path, e);
    }
  }

  /** Notes the process as stopped on purpose. */
  public void stopped() {
    if (path == null) {
      return;
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + path, e);
    }
  }

  /** The process noted in {@code file}, if it still runs and is still the one that was noted. */
  static Optional<ProcessHandle> liveProcess(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.size() < 3) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).strip());
      long startedMillis = Long.parseLong(lines.get(1).strip());
      String name = lines.get(2).strip();
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(process -> runs(process, name))
          .filter(process -> process.info().startInstant()
              .map(start -> Math.abs(start.toEpochMilli() - startedMillis) <= START_TOLERANCE.toMillis())
              .orElse(false));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code process} runs an executable whose file name contains {@code name}. */
  static boolean runs(ProcessHandle process, String name) {
    return process.info().command()
        .map(command -> Path.of(command).getFileName().toString().contains(name))
        .orElse(false);
  }
}
