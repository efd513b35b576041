package com.rendertrust.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the build hands the tests (failsafe system properties in e2e/pom.xml). */
record E2eSettings(Path java, String serverClasspath, Path agentJar, Path repositoryRoot, Path workDir) {

  static E2eSettings fromSystemProperties() {
    Path classpathFile = Path.of(required("e2e.server.classpath.file"));
    Path agentJar = Path.of(required("e2e.agent.jar"));
    if (!Files.isRegularFile(agentJar)) {
      throw new IllegalStateException("the agent's standalone jar is missing: " + agentJar
          + " (build it first: ./mvnw -pl e2e -am verify builds everything the tests need)");
    }
    try {
      return new E2eSettings(
          // the JDK running the tests (the one ./mvnw found) runs the server and the agents too
          Path.of(System.getProperty("java.home"), "bin", "java"),
          Files.readString(classpathFile).strip(),
          agentJar,
          Path.of(required("e2e.repository.root")).toAbsolutePath().normalize(),
          Path.of(required("e2e.work.dir")).toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the server's classpath from " + classpathFile, e);
    }
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank() || value.startsWith("${")) {
      throw new IllegalStateException("system property " + property + " is not set; run the tests through Maven"
          + " (./mvnw -pl e2e -am verify)");
    }
    return value;
  }

  /** A port nothing listens on right now (never the documented defaults 8000/8081). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
