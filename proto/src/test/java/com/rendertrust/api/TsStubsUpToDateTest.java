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
 * The TypeScript SDK's committed protobuf-es code (sdk-ts/src/gen) is exactly what buf.gen.yaml
 * generates from the contracts now (tools/gen-ts.sh, with the pinned buf and protoc-gen-es of
 * tools/package.json): a contract change without {@code ./rendertrust gen} fails here.
 */
class TsStubsUpToDateTest {

  private static final String GENERATED = "sdk-ts/src/gen";

  @Test
  void committedTypeScriptCodeMatchesAFreshGeneration(@TempDir Path fresh) throws Exception {
    Path root = ApiPathCoverageTest.repoRoot();
    assertThat(root.resolve("tools/node_modules/.bin/protoc-gen-es"))
        .as("protoc-gen-es is not installed: `./rendertrust test` installs it (or run npm ci --prefix tools)")
        .isExecutable();
    Process gen = new ProcessBuilder("bash", root.resolve("tools/gen-ts.sh").toString(), fresh.toString())
        .directory(root.toFile()).redirectErrorStream(true).start();
    assertThat(gen.waitFor(180, TimeUnit.SECONDS)).as("gen-ts.sh finished in time").isTrue();
    String output = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gen.exitValue()).as("tools/gen-ts.sh:\n%s", output).isZero();

    Map<String, String> expected = files(fresh.resolve(GENERATED));
    assertThat(expected).as("generated files")
        .containsKey("rendertrust/v1/job_service_pb.ts")
        .containsKey("google/rpc/error_details_pb.ts");
    assertThat(files(root.resolve(GENERATED)))
        .as("sdk-ts's generated code is stale: run ./rendertrust gen and commit the result")
        .isEqualTo(expected);
  }

  /** Relative path to content of every file under {@code top}. */
  private static Map<String, String> files(Path top) throws IOException {
    Map<String, String> contents = new TreeMap<>();
    if (!Files.isDirectory(top)) {
      return contents;
    }
    try (Stream<Path> walk = Files.walk(top)) {
      for (Path file : walk.filter(Files::isRegularFile).toList()) {
        contents.put(top.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    return contents;
  }
}
