package com.rendertrust.server.platform.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.testing.TestChain;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pinned anvil binary as the embedded default runs it. */
class AnvilProcessTest {

  @Test
  void theNpmBinaryIsFoundFromTheRepositoryOrAnySubdirectory(@TempDir Path elsewhere) throws Exception {
    Path fromServerDir = AnvilProcess.locateBinary(Optional.empty(), Path.of("")).orElseThrow();
    assertThat(fromServerDir).endsWith(AnvilProcess.NPM_BINARY).isExecutable();
    assertThat(AnvilProcess.locateBinary(Optional.empty(), Path.of("src", "main", "java"))).contains(fromServerDir);
    assertThat(AnvilProcess.locateBinary(Optional.of(fromServerDir.toString()), elsewhere)).contains(fromServerDir);
    assertThat(AnvilProcess.locateBinary(Optional.empty(), elsewhere)).as("nothing under a temp dir").isEmpty();
    Path notExecutable = Files.createFile(elsewhere.resolve("anvil"));
    assertThat(AnvilProcess.locateBinary(Optional.of(notExecutable.toString()), elsewhere)).isEmpty();
    assertThatThrownBy(() -> AnvilProcess.requireBinary(Map.of("RT_ANVIL_BIN", notExecutable.toString())))
        .hasMessageContaining("RT_ANVIL_BIN");
  }

  @Test
  void aChainWithAStateFileSurvivesARestartAndOneWithoutStartsFresh(@TempDir Path dataDir) throws Exception {
    Path binary = AnvilProcess.requireBinary(System.getenv());
    Path state = dataDir.resolve("anvil").resolve("state.json");
    try (AnvilProcess anvil = AnvilProcess.start(binary, new AnvilProcess.Options(0, Optional.of(state)))) {
      String genesis = genesisHash(anvil);
      rpc(anvil, "anvil_mine", "[\"0x7\"]");
      anvil.restart();
      assertThat(rpc(anvil, "eth_blockNumber", "[]")).contains("\"0x7\"");
      assertThat(genesisHash(anvil)).as("same chain after a restart").isEqualTo(genesis);
      assertThat(state).exists();
    }
    try (AnvilProcess fresh = AnvilProcess.start(binary, AnvilProcess.Options.automine())) {
      assertThat(rpc(fresh, "eth_blockNumber", "[]")).contains("\"0x0\"");
    }
  }

  @Test
  void aStoppedChainRefusesConnectionsAndComesBackOnTheSamePort() throws Exception {
    try (TestChain chain = TestChain.start()) {
      AnvilProcess anvil = chain.process();
      int port = anvil.port();
      anvil.stop();
      assertThat(anvil.isRunning()).isFalse();
      assertThatThrownBy(() -> rpc(anvil, "eth_chainId", "[]")).isInstanceOf(java.io.IOException.class);
      anvil.restart();
      assertThat(anvil.port()).isEqualTo(port);
      assertThat(rpc(anvil, "eth_chainId", "[]")).contains("0x7a69");
    }
  }

  private static String genesisHash(AnvilProcess anvil) throws Exception {
    String block = rpc(anvil, "eth_getBlockByNumber", "[\"0x0\", false]");
    int at = block.indexOf("\"hash\":\"") + 8;
    return block.substring(at, at + 66);
  }

  private static String rpc(AnvilProcess anvil, String method, String params) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(anvil.rpcUrl()))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
