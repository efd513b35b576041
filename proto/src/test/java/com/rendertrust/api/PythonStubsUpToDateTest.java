package com.rendertrust.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python SDK's committed gRPC stubs (sdk-python/rendertrust/v1 and rendertrust/_vendor) are
 * exactly what tools/gen-python.sh generates from the contracts now: a contract change without
 * {@code ./rendertrust gen} fails here. Needs Debian's protobuf-compiler and
 * protobuf-compiler-grpc (.ci/run installs them).
 */
class PythonStubsUpToDateTest {

  private static final String[] GENERATED = {"rendertrust/v1", "rendertrust/_vendor"};

  @Test
  void committedPythonStubsMatchAFreshGeneration(@TempDir Path fresh) throws Exception {
    Path root = ApiPathCoverageTest.repoRoot();
    Process gen = new ProcessBuilder("bash", root.resolve("tools/gen-python.sh").toString(), fresh.toString())
        .directory(root.toFile()).redirectErrorStream(true).start();
    assertThat(gen.waitFor(120, TimeUnit.SECONDS)).as("gen-python.sh finished in time").isTrue();
    String output = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gen.exitValue()).as("tools/gen-python.sh:\n%s", output).isZero();

    Map<String, String> expected = files(fresh);
    assertThat(expected).as("generated files").containsKey("rendertrust/v1/job_service_pb2_grpc.py");
    assertThat(files(root.resolve("sdk-python")))
        .as("sdk-python's generated code is stale: run ./rendertrust gen and commit the result")
        .isEqualTo(expected);
  }

  /** Relative path to content of every generated file (not __pycache__) under {@code base}. */
  private static Map<String, String> files(Path base) throws IOException {
    Map<String, String> contents = new TreeMap<>();
    for (String dir : GENERATED) {
      Path top = base.resolve(dir);
      if (!Files.isDirectory(top)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(top)) {
        for (Path file : walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".py")).toList()) {
          contents.put(base.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
        }
      }
    }
    return contents;
  }
}
