package com.rendertrust.server.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The production build's check; the real build without the classes is run by deploy's ProductionArtifactIT. */
class EmbeddedDefaultTest {

  /** Sees the JDK only: no zonky, no embedded-redis, as in the production build. */
  private static final ClassLoader PRODUCTION = ClassLoader.getPlatformClassLoader();
  private static final ClassLoader DEVELOPMENT = EmbeddedDefaultTest.class.getClassLoader();

  @Test
  void theDevelopmentBuildHasEveryEmbeddedPart() {
    assertThat(EmbeddedDefault.missingParts(config(Map.of()), DEVELOPMENT)).isEmpty();
  }

  @Test
  void withoutTheEmbeddedPartsTheEmbeddedDefaultNamesBothVariables() {
    assertThat(EmbeddedDefault.missingParts(config(Map.of()), PRODUCTION)).hasValueSatisfying(message ->
        assertThat(message).contains("no embedded PostgreSQL or Redis")
            .contains("set RT_DATABASE_URL and RT_REDIS_URL").contains("./rendertrust dev"));
  }

  @Test
  void onlyTheMissingPartIsNamed() {
    assertThat(EmbeddedDefault.missingParts(config(Map.of("RT_DATABASE_URL", "jdbc:postgresql://db/rt")), PRODUCTION))
        .hasValueSatisfying(message -> assertThat(message).contains("no embedded Redis").contains("set RT_REDIS_URL")
            .doesNotContain("RT_DATABASE_URL"));
    assertThat(EmbeddedDefault.missingParts(config(Map.of("RT_REDIS_URL", "redis://cache:6379")), PRODUCTION))
        .hasValueSatisfying(message -> assertThat(message).contains("no embedded PostgreSQL")
            .contains("set RT_DATABASE_URL").doesNotContain("RT_REDIS_URL"));
  }

  @Test
  void externalDatabaseAndRedisNeedNoEmbeddedPart() {
    ServerConfig external = config(Map.of("RT_DATABASE_URL", "jdbc:postgresql://db/rt", "RT_REDIS_URL",
        "redis://cache:6379", "RT_ENVIRONMENT", "staging"));
    assertThat(EmbeddedDefault.missingParts(external, PRODUCTION)).isEmpty();
  }

  private static ServerConfig config(Map<String, String> env) {
    return new ConfigLoader(env).load(false);
  }
}
