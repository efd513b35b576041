package com.rendertrust.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine here, so no image is built; after {@code package} this checks what the
 * Dockerfiles and compose.yaml rely on: the jars they copy exist (one match each), the server's
 * entry point is a main class in its jar, the agent's jar names its Main-Class, the files they
 * copy from the repository exist, and the build stage builds the modules those jars come from.
 */
class DockerfilesIT {

  private static final Pattern COPIED_JAR = Pattern.compile("cp ((?:server|node-agent)/target/[^ ]+\\.jar) ");

  @Test
  void theServerImageCopiesJarsThatExistAndStartsAMainClassInThem() throws Exception {
    String dockerfile = Files.readString(Manifests.deploy().resolve("docker/server.Dockerfile"));
    assertThat(dockerfile).contains("-pl server -am package").contains("USER 10001").contains("FROM eclipse-temurin:25-jre");
    Path jar = onlyMatch(copiedJars(dockerfile).get(0));
    assertThat(jar.getFileName().toString()).startsWith("rendertrust-server-");

    Matcher entry = Pattern.compile("ENTRYPOINT \\[(.*)]").matcher(dockerfile);
    assertThat(entry.find()).isTrue();
    List<String> argv = new ArrayList<>();
    Matcher word = Pattern.compile("\"([^\"]*)\"").matcher(entry.group(1));
    while (word.find()) {
      argv.add(word.group(1));
    }
    assertThat(argv.get(0)).isEqualTo("java");
    String mainClass = argv.getLast();
    String classpath = argv.get(argv.indexOf("-cp") + 1);
    assertThat(classpath).isEqualTo("/app/rendertrust-server.jar:/app/lib/*");
    // the production build's dependencies (no embedded PostgreSQL/Redis: ProductionArtifactIT), not all of them
    assertThat(dockerfile).contains("cp " + root().relativize(jar.getParent()) + "/production-lib/*.jar /home/build/app/lib/")
        .contains("/home/build/app/rendertrust-server.jar").doesNotContain("copy-dependencies");
    assertThat(ProductionArtifactIT.productionLib()).isEqualTo(jar.resolveSibling("production-lib"));
    try (JarFile contents = new JarFile(jar.toFile())) {
      assertThat(contents.getEntry(mainClass.replace('.', '/') + ".class")).as(mainClass + " in " + jar).isNotNull();
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
      Method main = Class.forName(mainClass, false, loader).getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
    }
  }

  @Test
  void theAgentImageCopiesTheStandaloneJarWhoseManifestNamesItsMainClass() throws Exception {
    String dockerfile = Files.readString(Manifests.deploy().resolve("docker/agent.Dockerfile"));
    assertThat(dockerfile).contains("-pl node-agent -am package").contains("USER 10001");
    Path jar = onlyMatch(copiedJars(dockerfile).get(0));
    try (JarFile contents = new JarFile(jar.toFile())) {
      String mainClass = contents.getManifest().getMainAttributes().getValue("Main-Class");
      assertThat(mainClass).isEqualTo("com.rendertrust.agent.AgentMain");
      assertThat(contents.getEntry(mainClass.replace('.', '/') + ".class")).isNotNull();
      assertThat(contents.getEntry("io/micrometer/prometheusmetrics/PrometheusMeterRegistry.class"))
          .as("the agent's /metrics ships in the standalone jar").isNotNull();
    }
    Path entrypoint = Manifests.deploy().resolve("docker/agent-entrypoint.sh");
    assertThat(dockerfile).contains("cp deploy/docker/agent-entrypoint.sh ");
    assertThat(Files.isExecutable(entrypoint)).isTrue();
    assertThat(Files.readString(entrypoint)).contains("/app/rendertrust-node-agent.jar").contains("exec java")
        .contains(" register").contains(" run");
  }

  @Test
  void composeBuildsFromTheDockerfilesAndGivesTheServerTimeToDrain() throws IOException {
    // SnakeYAML resolves anchors and merge keys (<<: *server) as compose does
    Object loaded = new org.yaml.snakeyaml.Yaml().load(Files.readString(Manifests.deploy().resolve("compose.yaml")));
    JsonNode compose = merged(Manifests.YAML.valueToTree(loaded));
    JsonNode services = compose.path("services");
    for (String name : List.of("postgres", "redis", "server-1", "server-2", "envoy", "agent")) {
      assertThat(services.has(name)).as(name).isTrue();
    }
    for (String name : List.of("server-1", "server-2", "agent")) {
      String dockerfile = services.path(name).path("build").path("dockerfile").asText();
      assertThat(dockerfile).as(name + " builds from a Dockerfile").startsWith("deploy/docker/");
      assertThat(Files.exists(root().resolve(dockerfile))).as(dockerfile).isTrue();
    }
    JsonNode env = services.path("server-1").path("environment");
    List<String> unknown = new ArrayList<>();
    var known = Manifests.serverVariables();
    env.fieldNames().forEachRemaining(variable -> {
      if (variable.startsWith("RT_") && !known.contains(variable)) {
        unknown.add(variable);
      }
    });
    assertThat(unknown).isEmpty();
    // the image is the production build, without embedded PostgreSQL and Redis (ProductionArtifactIT)
    for (String service : List.of("server-1", "server-2")) {
      assertThat(services.path(service).path("environment").path("RT_DATABASE_URL").asText()).as(service).isNotBlank();
      assertThat(services.path(service).path("environment").path("RT_REDIS_URL").asText()).as(service).isNotBlank();
    }
    long grace = Long.parseLong(env.path("RT_SHUTDOWN_GRACE_SECONDS").asText());
    String stop = services.path("server-1").path("stop_grace_period").asText();
    assertThat(Long.parseLong(stop.replace("s", ""))).isGreaterThan(grace);
    assertThat(services.path("envoy").path("volumes").get(0).asText()).startsWith("./envoy-config:/etc/envoy");
  }

  /** YAML merge keys ({@code <<: *anchor}) resolved, as compose reads them: the local keys win. */
  private static JsonNode merged(JsonNode node) {
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode array = Manifests.YAML.createArrayNode();
      node.forEach(item -> array.add(merged(item)));
      return array;
    }
    if (!node.isObject()) {
      return node;
    }
    com.fasterxml.jackson.databind.node.ObjectNode result = Manifests.YAML.createObjectNode();
    JsonNode base = node.get("<<");
    if (base != null) {
      for (JsonNode one : base.isArray() ? base : Manifests.YAML.createArrayNode().add(base)) {
        merged(one).properties().forEach(entry -> result.set(entry.getKey(), entry.getValue()));
      }
    }
    node.properties().forEach(entry -> {
      if (!entry.getKey().equals("<<")) {
        result.set(entry.getKey(), merged(entry.getValue()));
      }
    });
    return result;
  }

  private static List<String> copiedJars(String dockerfile) {
    List<String> jars = new ArrayList<>();
    Matcher matcher = COPIED_JAR.matcher(dockerfile);
    while (matcher.find()) {
      jars.add(matcher.group(1));
    }
    assertThat(jars).isNotEmpty();
    return jars;
  }

  /** The one file (after package) the shell glob names. */
  private static Path onlyMatch(String glob) throws IOException {
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
    Path dir = root().resolve(glob.substring(0, glob.lastIndexOf('/')));
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> found = files.filter(file -> matcher.matches(root().relativize(file))).toList();
      assertThat(found).as(glob + " after package").hasSize(1);
      return found.get(0);
    }
  }

  private static Path root() {
    return Manifests.root();
  }
}
