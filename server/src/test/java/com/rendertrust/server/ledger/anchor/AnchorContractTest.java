package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.ledger.anchor.ChainClient.BroadcastOutcome;
import com.rendertrust.server.ledger.anchor.ChainClient.Receipt;
import com.rendertrust.server.ledger.anchor.ChainClient.SignedTransaction;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.testing.TestChain;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The compiled contract on a real anvil: owner-only, write-once per batch id, event and view as specified. */
class AnchorContractTest {

  private static final HexFormat HEX = HexFormat.of();
  private static TestChain anvil;
  private static ChainClient owner;
  private static ChainClient stranger;
  private static String contract;

  @BeforeAll
  static void deploy() {
    anvil = TestChain.start();
    owner = ChainClient.connect(anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(10));
    stranger = ChainClient.connect(anvil.rpcUrl(), TestChain.OTHER_PRIVATE_KEY, Duration.ofSeconds(10));
    SignedTransaction deployment = owner.signDeployment(owner.nonce(true), owner.gasPrice(),
        AnchorContract.load().creationCode());
    assertThat(owner.broadcast(deployment.raw()).outcome()).isEqualTo(BroadcastOutcome.ACCEPTED);
    Receipt receipt = awaitReceipt(owner, deployment.hash());
    assertThat(receipt.succeeded()).isTrue();
    contract = receipt.contractAddress().orElseThrow();
    assertThat(owner.hasCode(contract)).isTrue();
  }

  @AfterAll
  static void stop() {
    owner.close();
    stranger.close();
    anvil.close();
  }

  private static Receipt send(ChainClient client, long batchId, byte[] root) {
    SignedTransaction tx = client.signAnchor(contract, client.nonce(true), client.gasPrice(), batchId, root);
    assertThat(client.broadcast(tx.raw()).outcome()).isEqualTo(BroadcastOutcome.ACCEPTED);
    return awaitReceipt(client, tx.hash());
  }

  /** anvil mines each transaction right away, but may publish the receipt a moment after answering the send. */
  static Receipt awaitReceipt(ChainClient client, String txHash) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Receipt> receipt = client.receipt(txHash);
      if (receipt.isPresent()) {
        return receipt.get();
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no receipt for " + txHash);
  }

  private static byte[] root(int seed) {
    byte[] root = new byte[32];
    for (int i = 0; i < 32; i++) {
      root[i] = (byte) (seed * 31 + i + 1);
    }
    return root;
  }

  @Test
  void theOwnerAnchorsAndEveryoneCanReadTheRootAndTheEvent() {
    byte[] root = root(1);
    assertThat(owner.rootOf(contract, 1)).isEmpty();
    Receipt receipt = send(owner, 1, root);
    assertThat(receipt.succeeded()).isTrue();

    assertThat(owner.rootOf(contract, 1)).hasValueSatisfying(r -> assertThat(r).isEqualTo(root));
    assertThat(stranger.rootOf(contract, 1)).hasValueSatisfying(r -> assertThat(r).isEqualTo(root));

    var logs = owner.anchoredLogs(contract, 1);
    assertThat(logs).hasSize(1);
    assertThat(logs.get(0).root()).isEqualTo(root);
    assertThat(logs.get(0).txHash()).isEqualTo(receipt.txHash());
    assertThat(logs.get(0).blockNumber()).isEqualTo(receipt.blockNumber());

    // The raw log, decoded independently: topic0 = keccak("Anchored(uint256,bytes32)"), topic1 = batch id, data = root.
    JsonNode raw = anvil.call("eth_getTransactionReceipt", receipt.txHash()).get("logs").get(0);
    assertThat(raw.get("topics").get(0).asText()).isEqualTo(
        "0x" + HEX.formatHex(org.web3j.crypto.Hash.sha3("Anchored(uint256,bytes32)".getBytes())));
    assertThat(raw.get("topics").get(1).asText()).isEqualTo("0x" + "0".repeat(63) + "1");
    assertThat(raw.get("data").asText()).isEqualTo("0x" + HEX.formatHex(root));
  }

  @Test
  void reAnchoringABatchIdRevertsAndKeepsTheFirstRoot() {
    byte[] first = root(2);
    assertThat(send(owner, 2, first).succeeded()).isTrue();
    assertThat(owner.anchorWouldRevert(contract, 2, root(3))).isPresent();
    assertThat(owner.anchorWouldRevert(contract, 2, first)).as("even with the same root").isPresent();

    Receipt again = send(owner, 2, root(3));
    assertThat(again.succeeded()).as("a second anchor of batch 2 reverts on chain").isFalse();
    assertThat(owner.rootOf(contract, 2)).hasValueSatisfying(r -> assertThat(r).isEqualTo(first));
    assertThat(owner.anchoredLogs(contract, 2)).hasSize(1);
  }

  @Test
  void onlyTheOwnerMayAnchor() {
    assertThat(stranger.anchorWouldRevert(contract, 4, root(4))).isPresent();
    Receipt receipt = send(stranger, 4, root(4));
    assertThat(receipt.succeeded()).isFalse();
    assertThat(owner.rootOf(contract, 4)).isEmpty();
    assertThat(owner.anchoredLogs(contract, 4)).isEmpty();
  }

  @Test
  void theZeroRootIsRefusedBecauseItMeansNotAnchored() {
    assertThat(owner.anchorWouldRevert(contract, 5, new byte[32])).isPresent();
    assertThat(send(owner, 5, new byte[32]).succeeded()).isFalse();
    assertThat(owner.rootOf(contract, 5)).isEmpty();
  }

  @Test
  void theLargestBatchIdIsEncodedAsAFullWord() {
    assertThat(owner.anchorWouldRevert(contract, Long.MAX_VALUE, root(6))).isEmpty();
    assertThat(send(owner, Long.MAX_VALUE, root(6)).succeeded()).isTrue();
    assertThat(owner.rootOf(contract, Long.MAX_VALUE)).hasValueSatisfying(r -> assertThat(r).isEqualTo(root(6)));
    assertThat(owner.rootOf(contract, 0)).isEqualTo(Optional.empty());
  }
}
