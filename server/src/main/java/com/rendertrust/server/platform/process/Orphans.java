package com.rendertrust.server.platform.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded processes a dead server left running: those noted in its pid files and the
 * PostgreSQL server of its data directory ({@code postmaster.pid}). Only called by the new owner
 * of the data directory's lock, so whatever is found there belongs to no live server.
 */
final class Orphans {

  private static final Logger log = LoggerFactory.getLogger(Orphans.class);
  private static final Duration GRACE = Duration.ofSeconds(15);
  /** postmaster.pid's first line is the pid, its third the start time in epoch seconds. */
  private static final int POSTMASTER_START_LINE = 2;

  private Orphans() {
  }

  /** Stops every orphan and deletes the pid files; returns the pids it stopped. */
  static List<Long> stopAll(Path runDir, Path postgresDataDir) {
    List<Long> stopped = new ArrayList<>();
    if (Files.isDirectory(runDir)) {
      stopNoted(runDir, stopped);
    }
    postmaster(postgresDataDir).ifPresent(postgres -> {
      log.warn("stopping PostgreSQL (pid {}) left running in {} by a server that did not stop it", postgres.pid(),
          postgresDataDir);
      stopPostgres(postgres, postgresDataDir);
      stopped.add(postgres.pid());
    });
    return stopped;
  }

  private static void stopNoted(Path runDir, List<Long> stopped) {
    List<Path> pidFiles = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir, "*.pid")) {
      files.forEach(pidFiles::add);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + runDir, e);
    }
    // sorted: the dead owner's watchdog ("0-watchdog.pid") goes first
    pidFiles.sort(null);
    try {
      for (Path file : pidFiles) {
        Optional<ProcessHandle> orphan = PidFile.liveProcess(file);
        if (orphan.isPresent()) {
          log.warn("stopping {} (pid {}) left running by a server that did not stop it", file.getFileName(),
              orphan.get().pid());
          stop(orphan.get());
          stopped.add(orphan.get().pid());
        }
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete a pid file in " + runDir, e);
    }
  }

  /** The PostgreSQL server {@code postmaster.pid} names, if it still runs and is that server. */
  static Optional<ProcessHandle> postmaster(Path postgresDataDir) {
    Path pidFile = postgresDataDir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      long pid = Long.parseLong(lines.get(0).strip());
      long startedSeconds = Long.parseLong(lines.get(POSTMASTER_START_LINE).strip());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(process -> PidFile.runs(process, "postgres"))
          .filter(process -> process.info().startInstant()
              .map(start -> Math.abs(start.getEpochSecond() - startedSeconds) <= 2).orElse(false));
    } catch (IOException | RuntimeException unreadable) {
      // half-written or not PostgreSQL's: PostgreSQL itself judges a stale file at start
      return Optional.empty();
    }
  }

  /**
   * A fast shutdown with the server's own pg_ctl (it ends the sessions and writes a checkpoint);
   * if that fails, its backends and then the postmaster are killed, in that order, so that no
   * backend is left holding the shared memory the next start needs.
   */
  private static void stopPostgres(ProcessHandle postmaster, Path dataDir) {
    Optional<Path> pgCtl = postmaster.info().command().map(Path::of).map(binary -> binary.resolveSibling("pg_ctl"))
        .filter(Files::isExecutable);
    if (pgCtl.isPresent()) {
      try {
        Process stop = new ProcessBuilder(pgCtl.get().toString(), "-D", dataDir.toString(), "stop", "-m", "fast", "-w",
            "-t", Long.toString(GRACE.toSeconds()))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        stop.waitFor(GRACE.toSeconds() + 5, TimeUnit.SECONDS);
      } catch (IOException e) {
        log.warn("could not run {}", pgCtl.get(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (postmaster.isAlive()) {
      postmaster.descendants().forEach(ProcessHandle::destroyForcibly);
      postmaster.destroyForcibly();
      awaitExit(postmaster, Duration.ofSeconds(5));
    }
  }

  /** SIGTERM (anvil writes its state, Redis exits), then SIGKILL after the grace period. */
  static void stop(ProcessHandle process) {
    process.destroy();
    if (!awaitExit(process, GRACE)) {
      process.destroyForcibly();
      awaitExit(process, Duration.ofSeconds(5));
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (process.isAlive() && Instant.now().isBefore(deadline)) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !process.isAlive();
  }
}
