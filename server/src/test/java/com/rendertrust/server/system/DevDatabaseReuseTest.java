package com.rendertrust.server.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestServer;
import java.nio.file.Files;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The embedded default keeps its PostgreSQL data directory: a second start reuses the database. */
class DevDatabaseReuseTest {

  @Test
  void secondStartReusesTheEmbeddedDatabase() {
    ServerConfig config = TestServer.testConfig().withRedis(TestInfrastructure.redisUrl());
    assertThat(config.embeddedDatabase()).isTrue();

    UUID first;
    try (ControlPlane controlPlane = ControlPlane.start(config)) {
      first = controlPlane.database().installationId();
    }
    assertThat(Files.isDirectory(config.dataDir().resolve("postgres"))).isTrue();

    try (ControlPlane controlPlane = ControlPlane.start(config)) {
      assertThat(controlPlane.database().installationId()).isEqualTo(first);
      assertThat(controlPlane.database().ping()).isTrue();
    }
  }
}
