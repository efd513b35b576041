package com.rendertrust.server.platform.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's lock, the orphans of a dead owner, and supervision, on real processes. A real
 * SIGKILL of a real server is in e2e (DevServerCrashIT); here the "dead owner" is a pid file
 * nobody holds the lock for.
 */
class DataDirOwnerTest {

  @Test
  void aSecondOwnerWhileTheFirstLivesFailsNamingItAndStopsNothing(@TempDir Path dataDir) {
    try (DataDirOwner first = DataDirOwner.claim(dataDir, dataDir.resolve("postgres"));
         EmbeddedRedisProcess redis = EmbeddedRedisProcess.start(first.pidFile("redis", "redis-server"), false)) {
      assertThatThrownBy(() -> DataDirOwner.claim(dataDir, dataDir.resolve("postgres")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("in use by a running RenderTrust server (pid " + ProcessHandle.current().pid() + ")")
          .hasMessageContaining("Nothing of the running server was touched");
      assertThat(redis.isRunning()).isTrue();
      assertThat(ProcessHandle.of(first.watchdogPid()).map(ProcessHandle::isAlive)).contains(true);
    }
  }

  @Test
  void theNextOwnerStopsWhatADeadOwnerNotedButNeverAnotherProcessWithARecycledPid(@TempDir Path dataDir)
      throws Exception {
    Path runDir = dataDir.resolve(DataDirOwner.RUN_DIR);
    try (EmbeddedRedisProcess orphan = EmbeddedRedisProcess.start()) {
      long orphanPid = orphan.pid().orElseThrow();
      new PidFile(runDir.resolve("redis.pid"), "redis-server").started(ProcessHandle.of(orphanPid).orElseThrow());
      // a pid file naming this JVM as anvil: a recycled pid, which must be left alone
      new PidFile(runDir.resolve("anvil.pid"), "anvil").started(ProcessHandle.current());

      try (DataDirOwner owner = DataDirOwner.claim(dataDir, dataDir.resolve("postgres"))) {
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(Files.exists(runDir.resolve("redis.pid"))).isFalse();
        assertThat(Files.exists(runDir.resolve("anvil.pid"))).isFalse();
        assertThat(Files.readString(runDir.resolve(DataDirOwner.WATCHDOG_PID_FILE)))
            .startsWith(owner.watchdogPid() + "\n");
      }
      assertThat(Files.exists(runDir.resolve(DataDirOwner.WATCHDOG_PID_FILE))).isFalse();
    }
  }

  @Test
  void aSupervisedRedisKilledWithSigkillComesBackOnTheSamePort(@TempDir Path dataDir) throws Exception {
    try (DataDirOwner owner = DataDirOwner.claim(dataDir, dataDir.resolve("postgres"));
         EmbeddedRedisProcess redis = EmbeddedRedisProcess.start(owner.pidFile("redis", "redis-server"), true)) {
      long first = redis.pid().orElseThrow();
      Path pidFile = dataDir.resolve(DataDirOwner.RUN_DIR).resolve("redis.pid");
      assertThat(Files.readString(pidFile)).startsWith(first + "\n");

      ProcessHandle.of(first).orElseThrow().destroyForcibly();

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      OptionalLong now = redis.pid();
      while ((now.isEmpty() || now.getAsLong() == first) && System.nanoTime() < deadline) {
        Thread.sleep(100);
        now = redis.pid();
      }
      assertThat(now).isPresent();
      assertThat(now.getAsLong()).isNotEqualTo(first);
      assertThat(redis.restarts()).isEqualTo(1);
      assertThat(Files.readString(pidFile)).startsWith(now.getAsLong() + "\n");
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", redis.port())) {
        assertThat(socket.isConnected()).isTrue();
      }

      redis.stop();
      Thread.sleep(1_500);
      assertThat(redis.isRunning()).as("stopped on purpose: not started again").isFalse();
      assertThat(redis.restarts()).isEqualTo(1);
      assertThat(Files.exists(pidFile)).isFalse();
    }
  }
}
