package com.rendertrust.server.platform.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server's claim on a data directory whose processes it starts itself (embedded PostgreSQL,
 * Redis, anvil). The claim is an OS lock on {@code RT_DATA_DIR/server.lock}, held for the
 * server's life and released by the OS however the server ends, so:
 * <ul>
 *   <li>a second server on the same data directory while the first lives fails at once, naming
 *       the first, and touches nothing of it (the admin CLI, which only connects to the running
 *       server's database, takes no lock);</li>
 *   <li>the next owner after a crash stops what the dead one left running ({@link Orphans});</li>
 *   <li>while it lives, a watchdog process stops its processes if the server dies without doing
 *       so (SIGKILL, the OOM killer).</li>
 * </ul>
 */
public final class DataDirOwner implements AutoCloseable {

  public static final String LOCK_FILE = "server.lock";
  public static final String RUN_DIR = "run";
  /** Its name sorts it first among the pid files, which is the order orphans are stopped in. */
  public static final String WATCHDOG_PID_FILE = "0-watchdog.pid";

  private static final Logger log = LoggerFactory.getLogger(DataDirOwner.class);
  private static final String WATCHDOG_SCRIPT = "watchdog.sh";

  private final Path runDir;
  private final FileChannel channel;
  private final FileLock lock;
  private final Process watchdog;

  private DataDirOwner(Path runDir, FileChannel channel, FileLock lock, Process watchdog) {
    this.runDir = runDir;
    this.channel = channel;
    this.lock = lock;
    this.watchdog = watchdog;
  }

  /**
   * Takes the data directory (or fails naming the live server that holds it), stops what a dead
   * owner left running, and starts the watchdog. {@code postgresDataDir} is where the embedded
   * PostgreSQL keeps its data (and its {@code postmaster.pid}).
   */
  public static DataDirOwner claim(Path dataDir, Path postgresDataDir) {
    Path lockFile = dataDir.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(dataDir);
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        throw new IllegalStateException("RT_DATA_DIR " + dataDir + " is in use by a running RenderTrust server"
            + ownerDescription(lockFile) + ": stop that server first, or give this one another RT_DATA_DIR."
            + " Nothing of the running server was touched.");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      Path runDir = dataDir.resolve(RUN_DIR);
      List<Long> stopped = Orphans.stopAll(runDir, postgresDataDir);
      if (!stopped.isEmpty()) {
        log.warn("stopped {} process(es) a previous server on {} left running: pids {}", stopped.size(), dataDir, stopped);
      }
      Process watchdog = startWatchdog(runDir, postgresDataDir);
      return new DataDirOwner(runDir, channel, lock, watchdog);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("could not lock " + lockFile, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** The lock, or null when another process (or another server in this JVM) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException heldInThisJvm) {
      return null;
    }
  }

  private static String ownerDescription(Path lockFile) {
    try {
      String pid = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
      return pid.isEmpty() ? "" : " (pid " + pid + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static Process startWatchdog(Path runDir, Path postgresDataDir) throws IOException {
    String script;
    try (InputStream in = DataDirOwner.class.getResourceAsStream(WATCHDOG_SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException(WATCHDOG_SCRIPT + " is missing from the classpath");
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Files.createDirectories(runDir);
    Process watchdog = new ProcessBuilder("sh", "-c", script, "rendertrust-watchdog",
        Long.toString(ProcessHandle.current().pid()), runDir.toString(), postgresDataDir.toString())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("watchdog.log").toFile()))
        .start();
    // A dead owner's watchdog is the first orphan the next owner stops: left alone, it would go on
    // stopping what it had noted while the next owner starts its own processes.
    new PidFile(runDir.resolve(WATCHDOG_PID_FILE), "sh").started(watchdog.toHandle());
    return watchdog;
  }

  /** Where the process called {@code name} is noted while it runs. */
  public PidFile pidFile(String name, String executableName) {
    return new PidFile(runDir.resolve(name + ".pid"), executableName);
  }

  /** The watchdog's pid (tests kill it to leave true orphans behind). */
  public long watchdogPid() {
    return watchdog.pid();
  }

  /** Called last, after every embedded process stopped: the watchdog ends, then the lock is released. */
  @Override
  public void close() {
    watchdog.destroy();
    new PidFile(runDir.resolve(WATCHDOG_PID_FILE), "sh").stopped();
    try {
      watchdog.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      lock.release();
    } catch (IOException e) {
      log.debug("could not release the data directory lock", e);
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }
}
