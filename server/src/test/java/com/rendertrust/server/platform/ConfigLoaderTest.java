package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  @Test
  void defaultsAreTheEmbeddedDevelopmentSetup() {
    ServerConfig config = new ConfigLoader(Map.of()).load(true);
    assertThat(config.httpPort()).isEqualTo(8000);
    assertThat(config.embeddedDatabase()).isTrue();
    assertThat(config.embeddedRedis()).isTrue();
    assertThat(config.environment()).isEqualTo("development");
    assertThat(config.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".rendertrust", "dev"));
  }

  @Test
  void environmentOverridesEverything() {
    ServerConfig config = new ConfigLoader(Map.of(
        "RT_HTTP_PORT", "9100",
        "RT_DATA_DIR", "/srv/rt",
        "RT_DATABASE_URL", "jdbc:postgresql://db:5432/rt",
        "RT_DATABASE_USER", "rt",
        "RT_DATABASE_PASSWORD", "secret",
        "RT_REDIS_URL", "redis://cache:6379",
        "RT_MAX_REQUEST_BYTES", "2048")).load(false);
    assertThat(config.httpPort()).isEqualTo(9100);
    assertThat(config.dataDir()).isEqualTo(Path.of("/srv/rt"));
    assertThat(config.databaseUrl()).contains("jdbc:postgresql://db:5432/rt");
    assertThat(config.redisUrl()).contains("redis://cache:6379");
    assertThat(config.environment()).isEqualTo("production");
    assertThat(config.maxRequestBytes()).isEqualTo(2048);
  }

  @Test
  void malformedValuesAreRejectedByName() {
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_HTTP_PORT", "eighty")).load(true))
        .hasMessageContaining("RT_HTTP_PORT");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_HTTP_PORT", "70000")).load(true))
        .hasMessageContaining("RT_HTTP_PORT");
  }

  @Test
  void secretsDoNotAppearInTheConfigsText() {
    ServerConfig config = new ConfigLoader(Map.of("RT_DATABASE_PASSWORD", "hunter2")).load(true);
    assertThat(config.toString()).doesNotContain("hunter2");
  }
}
