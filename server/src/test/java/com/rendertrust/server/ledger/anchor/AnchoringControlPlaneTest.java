package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import com.rendertrust.server.ledger.merkle.MerkleHashing;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.testing.ChainFaultProxy;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** Anchoring wired into the real composition root: embedded anvil, external RPC, readiness. */
class AnchoringControlPlaneTest {

  private static ServerConfig config(ChainConfig chain) {
    return TestServer.testConfig()
        .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(TestInfrastructure.redisUrl())
        .withChain(chain);
  }

  private static SealedBatch seal(TestServer server, int leaves) {
    MerkleBatchSealer sealer = new MerkleBatchSealer(new AnchorRepository(server.controlPlane().database().dsl()),
        Clock.systemUTC());
    List<byte[]> hashes = java.util.stream.IntStream.range(0, leaves)
        .mapToObj(i -> MerkleHashing.leafHash(("row " + i).getBytes())).toList();
    return server.controlPlane().database().dsl().transactionResult(cfg ->
        sealer.seal(DSL.using(cfg), hashes, 1, leaves));
  }

  private static AnchorBatch await(TestServer server, long batchId, Predicate<AnchorBatch> goal, String what)
      throws InterruptedException {
    AnchorRepository repository = new AnchorRepository(server.controlPlane().database().dsl());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    AnchorBatch last = null;
    while (System.nanoTime() < deadline) {
      last = repository.find(batchId).orElseThrow();
      if (goal.test(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("batch never " + what + "; last: " + last);
  }

  private static JsonNode awaitReadiness(TestServer server, String status) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = Json.parse(server.get("/api/v1/health/ready").body());
      if (status.equals(last.get("status").asText())) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("readiness never " + status + "; last: " + last);
  }

  @Test
  void theEmbeddedDefaultStartsAnvilDeploysTheContractAndAnchors() throws Exception {
    ChainConfig chain = ChainConfig.disabled()
        .withEmbeddedAnvil(AnvilProcess.requireBinary(System.getenv()))
        .withConfirmations(2)
        .withPollInterval(Duration.ofMillis(100));
    try (TestServer server = TestServer.start(config(chain))) {
      Anchoring anchoring = server.controlPlane().anchoring().orElseThrow();
      JsonNode ready = awaitReadiness(server, "ready");
      assertThat(ready.get("checks").get("chain").asText()).as("contract deployed by the first pass")
          .isEqualTo("connected");
      String contract = anchoring.contracts().current().orElseThrow();
      assertThat(anchoring.chain().hasCode(contract)).isTrue();

      SealedBatch sealed = seal(server, 7);
      AnchorBatch fin = await(server, sealed.batchId(), b -> b.status() == AnchorStatus.FINAL, "FINAL");
      assertThat(anchoring.chain().rootOf(contract, sealed.batchId()))
          .hasValueSatisfying(root -> assertThat(root).isEqualTo(sealed.merkleRoot()));
      assertThat(fin.contractAddress()).contains(contract);
      assertThat(fin.txHash()).isPresent();
    }
  }

  @Test
  void aDevRestartKeepsItsChainAndContract() throws Exception {
    ChainConfig chain = ChainConfig.disabled()
        .withEmbeddedAnvil(AnvilProcess.requireBinary(System.getenv()))
        .withConfirmations(1)
        .withPollInterval(Duration.ofMillis(100));
    ServerConfig config = config(chain);
    String contract;
    SealedBatch first;
    try (TestServer server = TestServer.start(config)) {
      awaitReadiness(server, "ready");
      contract = server.controlPlane().anchoring().orElseThrow().contracts().current().orElseThrow();
      first = seal(server, 4);
      await(server, first.batchId(), b -> b.status() == AnchorStatus.FINAL, "FINAL");
    }
    try (TestServer again = TestServer.start(config)) {
      Anchoring anchoring = again.controlPlane().anchoring().orElseThrow();
      assertThat(anchoring.contracts().find()).as("the recorded contract, still on the restored chain").contains(contract);
      awaitReadiness(again, "ready");
      assertThat(anchoring.contracts().current()).as("no second deployment").contains(contract);
      assertThat(anchoring.chain().rootOf(contract, first.batchId()))
          .as("the anvil state survived the restart")
          .hasValueSatisfying(root -> assertThat(root).isEqualTo(first.merkleRoot()));
      MerkleBatchSealer sealer = new MerkleBatchSealer(new AnchorRepository(again.controlPlane().database().dsl()),
          Clock.systemUTC());
      SealedBatch second = again.controlPlane().database().dsl().transactionResult(cfg -> sealer.seal(DSL.using(cfg),
          List.of(MerkleHashing.leafHash("after restart".getBytes())), 100, 100));
      AnchorBatch fin = await(again, second.batchId(), b -> b.status() == AnchorStatus.FINAL, "FINAL");
      assertThat(fin.contractAddress()).contains(contract);
    }
  }

  @Test
  void anExternalChainThatGoesAwayMakesReadinessDegradedAndAnchoringCatchesUp() throws Exception {
    try (TestChain anvil = TestChain.start(); ChainFaultProxy proxy = ChainFaultProxy.in(anvil.rpcUrl())) {
      ChainConfig chain = ChainConfig.disabled().withRpcUrl(proxy.rpcUrl()).withConfirmations(1)
          .withPollInterval(Duration.ofMillis(100));
      try (TestServer server = TestServer.start(config(chain))) {
        assertThat(awaitReadiness(server, "ready").get("checks").get("chain").asText()).isEqualTo("connected");

        proxy.down();
        JsonNode degraded = awaitReadiness(server, "degraded");
        assertThat(degraded.get("checks").get("chain").asText()).isEqualTo("unavailable");
        assertThat(degraded.get("checks").get("database").asText()).isEqualTo("connected");
        SealedBatch sealed = seal(server, 3);
        assertThat(server.get("/health").statusCode()).as("liveness does not depend on the chain").isEqualTo(200);

        proxy.up();
        awaitReadiness(server, "ready");
        await(server, sealed.batchId(), b -> b.status() == AnchorStatus.FINAL, "FINAL");
      }
    }
  }

  @Test
  void aServerStartsWhileItsChainIsDownAndAnchorsOnceItIsUp() throws Exception {
    try (TestChain anvil = TestChain.start(); ChainFaultProxy proxy = ChainFaultProxy.in(anvil.rpcUrl())) {
      proxy.down();
      ChainConfig chain = ChainConfig.disabled().withRpcUrl(proxy.rpcUrl()).withConfirmations(1)
          .withPollInterval(Duration.ofMillis(100));
      try (TestServer server = TestServer.start(config(chain))) {
        assertThat(Json.parse(server.get("/api/v1/health/ready").body()).get("checks").get("chain").asText())
            .isEqualTo("unavailable");
        SealedBatch sealed = seal(server, 2);
        proxy.up();
        await(server, sealed.batchId(), b -> b.status() == AnchorStatus.FINAL, "FINAL");
        awaitReadiness(server, "ready");
      }
    }
  }
}
