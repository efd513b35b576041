package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.ConfigLoader;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RT_CHAIN_* / RT_ANCHOR_* variables and when anchoring is on. */
class ChainConfigTest {

  private static final String KEY = "0x" + "ab".repeat(32);

  @Test
  void developmentStartsTheInstalledAnvilItself() {
    ChainConfig chain = new ConfigLoader(Map.of()).load(true).chain();
    assertThat(chain.enabled()).isTrue();
    assertThat(chain.rpcUrl()).isEmpty();
    assertThat(chain.embeddedAnvil()).hasValueSatisfying(path -> assertThat(path).endsWith(AnvilProcess.NPM_BINARY));
    assertThat(chain.privateKey()).as("the anvil dev key is used").isEmpty();
    assertThat(chain.confirmations()).isEqualTo(3);
  }

  @Test
  void productionWithoutAChainRunsWithoutAnchoring() {
    ChainConfig chain = new ConfigLoader(Map.of("RT_DATABASE_URL", "jdbc:postgresql://db/rt")).load(false).chain();
    assertThat(chain.enabled()).isFalse();
    assertThat(chain.embeddedAnvil()).as("never starts a local chain outside development").isEmpty();
  }

  @Test
  void anRpcUrlTurnsAnchoringOnWithItsSettings() {
    ChainConfig chain = new ConfigLoader(Map.of(
        "RT_DATABASE_URL", "jdbc:postgresql://db/rt",
        "RT_CHAIN_RPC_URL", "https://rpc.example.net/v3/SECRETPROJECTKEY",
        "RT_CHAIN_PRIVATE_KEY", KEY,
        "RT_ANCHOR_CONTRACT", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "RT_ANCHOR_CONFIRMATIONS", "12",
        "RT_ANCHOR_POLL_MS", "5000",
        "RT_ANCHOR_RESUBMIT_SECONDS", "300",
        "RT_CHAIN_RPC_TIMEOUT_SECONDS", "20")).load(false).chain();
    assertThat(chain.enabled()).isTrue();
    assertThat(chain.rpcUrl()).contains("https://rpc.example.net/v3/SECRETPROJECTKEY");
    assertThat(chain.embeddedAnvil()).isEmpty();
    assertThat(chain.privateKey()).contains(KEY);
    assertThat(chain.contractAddress()).contains("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    assertThat(chain.confirmations()).isEqualTo(12);
    assertThat(chain.pollInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(chain.resubmitAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(chain.rpcTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(chain.toString()).doesNotContain(KEY.substring(2)).doesNotContain("SECRETPROJECTKEY")
        .contains("https://rpc.example.net/***");
  }

  @Test
  void productionMustNameItsOwnKey() {
    assertThatThrownBy(() -> new ConfigLoader(Map.of(
        "RT_DATABASE_URL", "jdbc:postgresql://db/rt",
        "RT_CHAIN_RPC_URL", "http://chain:8545")).load(false))
        .hasMessageContaining("RT_CHAIN_PRIVATE_KEY");
  }

  @Test
  void malformedValuesAreRejectedWithoutEchoingTheKey() {
    String almostKey = "0x" + "cd".repeat(31) + "zz";
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_CHAIN_PRIVATE_KEY", almostKey)).load(true))
        .hasMessageContaining("RT_CHAIN_PRIVATE_KEY").message().doesNotContain("cdcd");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_ANCHOR_CONTRACT", "0x1234")).load(true))
        .hasMessageContaining("RT_ANCHOR_CONTRACT");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_ANCHOR_CONFIRMATIONS", "0")).load(true))
        .hasMessageContaining("RT_ANCHOR_CONFIRMATIONS");
    assertThatThrownBy(() -> new ConfigLoader(Map.of("RT_ANVIL_BIN", "/nonexistent/anvil")).load(true))
        .hasMessageContaining("RT_ANVIL_BIN");
  }
}
