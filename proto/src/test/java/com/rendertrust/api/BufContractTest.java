package com.rendertrust.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the pinned buf (tools/package.json) over the contracts: STANDARD lint, and WIRE_JSON
 * breaking-change detection against the committed baseline of the released contract.
 */
class BufContractTest {

  @Test
  void contractsPassBufLint() throws Exception {
    Result lint = buf("lint");
    assertThat(lint.exitCode()).as("buf lint:\n%s", lint.output()).isZero();
  }

  @Test
  void contractsAreWireAndJsonCompatibleWithTheBaseline() throws Exception {
    Path baseline = ApiPathCoverageTest.repoRoot().resolve("proto/buf-baseline.binpb");
    assertThat(baseline).as("committed contract baseline").exists();
    Result breaking = buf("breaking", "proto/src/main/proto", "--against", baseline.toString());
    assertThat(breaking.exitCode()).as("buf breaking:\n%s", breaking.output()).isZero();
  }

  private record Result(int exitCode, String output) {
  }

  private static Result buf(String... args) throws IOException, InterruptedException {
    Path root = ApiPathCoverageTest.repoRoot();
    String configured = System.getenv("RT_BUF");
    Path buf = configured != null && !configured.isBlank()
        ? Path.of(configured) : root.resolve("tools/node_modules/.bin/buf");
    assertThat(Files.isExecutable(buf))
        .as("buf not installed at %s: `./rendertrust test` installs it (or run npm ci --prefix tools)", buf)
        .isTrue();
    List<String> command = new ArrayList<>(List.of(buf.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("buf finished in time").isTrue();
    return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
