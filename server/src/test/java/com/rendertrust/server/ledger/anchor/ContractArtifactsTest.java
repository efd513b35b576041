package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ABI and bytecode the server deploys at run time are exactly what the pinned solc makes of
 * contracts/Anchor.sol, RenderToken.sol and Deposits.sol today: a fresh compile through contracts/build.sh must reproduce the
 * committed resources byte for byte (run contracts/build.sh after changing the contract).
 */
class ContractArtifactsTest {

  private static final Path REPO = Path.of("").toAbsolutePath().getParent();

  @Test
  void committedArtifactsEqualAFreshCompile(@TempDir Path out) throws Exception {
    Path script = REPO.resolve("contracts").resolve("build.sh");
    assertThat(REPO.resolve("tools/node_modules/.bin/solcjs"))
        .as("the pinned solc (npm install in tools/; ./rendertrust test does it)").isExecutable();
    Process build = new ProcessBuilder(script.toString(), out.toString()).redirectErrorStream(true).start();
    String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(120, TimeUnit.SECONDS)).as("solc finished").isTrue();
    assertThat(build.exitValue()).as(output).isZero();

    Path committed = REPO.resolve("server/src/main/resources/contracts");
    for (String artifact : new String[] {"Anchor.abi", "Anchor.bin", "RenderToken.abi", "RenderToken.bin",
        "Deposits.abi", "Deposits.bin"}) {
      assertThat(read(out.resolve(artifact)))
          .as("%s differs from a fresh compile: run contracts/build.sh and commit the result", artifact)
          .isEqualTo(read(committed.resolve(artifact)));
    }
  }

  @Test
  void theLoadedArtifactsDeclareWhatTheServerCalls() {
    AnchorContract contract = AnchorContract.load();
    assertThat(contract.creationCode()).startsWith("0x60").hasSizeGreaterThan(200);
    assertThat(contract.abiJson()).contains("\"rootOf\"", "\"anchor\"", "\"Anchored\"", "\"AlreadyAnchored\"");
  }

  private static String read(Path path) throws IOException {
    return Files.readString(path, StandardCharsets.UTF_8);
  }
}
