package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.ledger.anchor.AnchoringWorker.Pass;
import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import com.rendertrust.server.ledger.anchor.ChainClient.SignedTransaction;
import com.rendertrust.server.ledger.merkle.MerkleTree;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.testing.ChainFaultProxy.Mode;
import com.rendertrust.server.testing.TestChain;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The anchoring state machine against a real anvil and real PostgreSQL, under the chain faults
 * of reliability.md F9-F14: every batch ends FINAL with exactly one Anchored event carrying its
 * root, whatever happens on the way.
 */
class AnchoringFaultTest {

  @Test
  void batchesGoPendingSubmittedIncludedFinalInOrder() {
    try (AnchoringHarness h = AnchoringHarness.start(3)) {
      SealedBatch first = h.seal(5);
      SealedBatch second = h.seal(1);
      SealedBatch third = h.seal(37);
      assertThat(h.batch(first.batchId()).status()).isEqualTo(AnchorStatus.PENDING);
      assertThat(first.merkleRoot()).isEqualTo(MerkleTree.ofConcatenatedLeafHashes(
          h.repository.leafHashes(first.batchId()).orElseThrow(), 5).root());

      assertThat(h.worker.runOnce()).isEqualTo(Pass.COMPLETED);
      AnchorBatch submitted = h.batch(first.batchId());
      assertThat(submitted.status()).isEqualTo(AnchorStatus.SUBMITTED);
      assertThat(submitted.txHash()).isPresent();
      assertThat(h.repository.attempts(first.batchId())).singleElement()
          .satisfies(a -> assertThat(a.txHash()).isEqualTo(submitted.txHash().orElseThrow()));
      assertThat(h.batch(second.batchId()).status()).as("one unmined anchor at a time").isEqualTo(AnchorStatus.PENDING);

      AnchorBatch included = h.drive(first.batchId(), b -> b.status() == AnchorStatus.INCLUDED, false, "INCLUDED");
      assertThat(included.blockNumber()).isPresent();
      assertThat(included.anchoredAt()).isEmpty();

      for (SealedBatch sealed : List.of(first, second, third)) {
        AnchorBatch fin = h.driveToFinal(sealed.batchId());
        assertThat(h.anvil.blockNumber() - fin.blockNumber().orElseThrow() + 1).isGreaterThanOrEqualTo(3);
        assertThat(fin.anchoredAt()).isPresent();
        assertThat(fin.lastError()).isEmpty();
        assertThat(h.repository.attempts(sealed.batchId())).hasSize(1);
        h.assertAnchoredExactlyOnce(fin);
      }
      assertThat(h.repository.unfinished()).isEmpty();
    }
  }

  @Test
  void anUnreachableChainKeepsBatchesPendingUntilItIsBack() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      assertThat(h.worker.runOnce()).isEqualTo(Pass.COMPLETED); // contract deployed while the chain is up
      SealedBatch sealed = h.seal(4);
      h.proxy.down();
      for (int i = 0; i < 3; i++) {
        assertThat(h.worker.runOnce()).isEqualTo(Pass.CHAIN_UNAVAILABLE);
      }
      assertThat(h.batch(sealed.batchId()).status()).isEqualTo(AnchorStatus.PENDING);
      assertThat(h.repository.attempts(sealed.batchId())).isEmpty();

      h.proxy.up();
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(h.repository.attempts(sealed.batchId())).hasSize(1);
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aCrashBetweenRecordingAndBroadcastingResendsTheSameTransaction() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(3);
      h.proxy.mode(Mode.SWALLOW_BROADCASTS);
      h.worker.runOnce();
      AnchorBatch recorded = h.batch(sealed.batchId());
      assertThat(recorded.status()).isEqualTo(AnchorStatus.SUBMITTED);
      String txHash = recorded.txHash().orElseThrow();
      assertThat(h.anvil.knows(txHash)).as("the broadcast never reached the node").isFalse();

      h.crashAndRestart();
      h.proxy.mode(Mode.FORWARD);
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.txHash()).contains(txHash);
      assertThat(h.repository.attempts(sealed.batchId())).singleElement()
          .satisfies(a -> assertThat(a.txHash()).isEqualTo(txHash));
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aLostBroadcastResponseIsNotSentTwice() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(8);
      h.proxy.mode(Mode.LOSE_BROADCAST_RESPONSES);
      assertThat(h.worker.runOnce()).isEqualTo(Pass.CHAIN_UNAVAILABLE);
      AnchorBatch afterLoss = h.batch(sealed.batchId());
      assertThat(afterLoss.status()).isEqualTo(AnchorStatus.SUBMITTED);
      assertThat(afterLoss.lastError()).hasValueSatisfying(e -> assertThat(e).contains("will resend"));
      assertThat(h.anvil.knows(afterLoss.txHash().orElseThrow())).as("the node got it anyway").isTrue();

      h.proxy.mode(Mode.FORWARD);
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.txHash()).isEqualTo(afterLoss.txHash());
      assertThat(h.repository.attempts(sealed.batchId())).hasSize(1);
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aDroppedTransactionIsRebroadcastUntilFinal() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      h.anvil.setAutomine(false);
      SealedBatch sealed = h.seal(6);
      h.worker.runOnce();
      String txHash = h.batch(sealed.batchId()).txHash().orElseThrow();
      assertThat(h.anvil.knows(txHash)).isTrue();
      assertThat(h.anvil.mined(txHash)).isFalse();

      h.anvil.dropTransaction(txHash);
      assertThat(h.anvil.knows(txHash)).as("dropped from the mempool").isFalse();
      int broadcasts = h.proxy.broadcastsSeen();
      h.worker.runOnce();
      assertThat(h.proxy.broadcastsSeen()).as("resent").isEqualTo(broadcasts + 1);
      assertThat(h.anvil.knows(txHash)).as("the same transaction is back in the mempool").isTrue();

      h.anvil.setAutomine(true);
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.txHash()).contains(txHash);
      assertThat(h.repository.attempts(sealed.batchId())).hasSize(1);
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aStuckTransactionIsReplacedWithTheSameNonceAndAHigherFee() {
    try (AnchoringHarness h = AnchoringHarness.start(TestChain.start(), 2, Duration.ofMinutes(2), Optional.empty())) {
      h.worker.runOnce();
      h.anvil.setAutomine(false);
      SealedBatch sealed = h.seal(2);
      h.worker.runOnce();
      h.worker.runOnce();
      assertThat(h.repository.attempts(sealed.batchId())).as("not stuck long enough yet").hasSize(1);

      h.clock.advance(Duration.ofMinutes(3));
      h.worker.runOnce();
      List<AnchorAttempt> attempts = h.repository.attempts(sealed.batchId());
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(1).nonce()).isEqualTo(attempts.get(0).nonce());
      assertThat(attempts.get(1).gasPrice()).isGreaterThan(attempts.get(0).gasPrice());
      assertThat(h.batch(sealed.batchId()).txHash()).contains(attempts.get(1).txHash());

      h.anvil.setAutomine(true);
      h.anvil.mine(1);
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.txHash()).as("the replacement is what got mined").contains(attempts.get(1).txHash());
      assertThat(h.anvil.mined(attempts.get(0).txHash())).isFalse();
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aReorgThatRemovesTheAnchorSendsItAgainAndItStillEndsFinalOnce() {
    try (AnchoringHarness h = AnchoringHarness.start(4)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(11);
      AnchorBatch included = h.drive(sealed.batchId(), b -> b.status() == AnchorStatus.INCLUDED, false, "INCLUDED");
      long block = included.blockNumber().orElseThrow();
      String firstBlockHash = included.blockHash().orElseThrow();
      h.anvil.mine(1);

      h.anvil.reorg(h.anvil.blockNumber() - block + 1);
      assertThat(h.anvil.blockHash(block)).as("a different block at the same height").isNotEqualTo(firstBlockHash);
      assertThat(h.anvil.mined(included.txHash().orElseThrow())).as("the anchor is gone from the chain").isFalse();

      h.worker.runOnce();
      AnchorBatch reorged = h.batch(sealed.batchId());
      assertThat(reorged.status()).as("INCLUDED -> SUBMITTED").isEqualTo(AnchorStatus.SUBMITTED);
      assertThat(reorged.lastError()).hasValueSatisfying(e -> assertThat(e).contains("reorg"));

      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.blockHash()).isNotEqualTo(Optional.of(firstBlockHash));
      assertThat(h.anvil.blockHash(fin.blockNumber().orElseThrow())).isEqualTo(fin.blockHash().orElseThrow());
      assertThat(h.repository.attempts(sealed.batchId())).as("the recorded transaction was resent, not re-signed")
          .hasSize(1);
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void whenAnotherTransactionTakesTheNonceTheBatchIsSignedAnew() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(3);
      h.proxy.mode(Mode.SWALLOW_BROADCASTS);
      h.worker.runOnce();
      AnchorAttempt lost = h.repository.attempts(sealed.batchId()).get(0);

      // The same key spends that nonce elsewhere (another tool, a manual transaction).
      try (ChainClient sameKey = ChainClient.connect(h.anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(5))) {
        SignedTransaction other = sameKey.signAnchor(h.contract(), lost.nonce(), sameKey.gasPrice(), 999_999,
            new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                27, 28, 29, 30, 31, 32});
        sameKey.broadcast(other.raw());
        AnchorContractTest.awaitReceipt(sameKey, other.hash());
      }
      h.proxy.mode(Mode.FORWARD);
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      List<AnchorAttempt> attempts = h.repository.attempts(sealed.batchId());
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(1).nonce()).isGreaterThan(lost.nonce());
      assertThat(fin.txHash()).contains(attempts.get(1).txHash());
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void anAnchorAlreadyOnChainIsAdoptedNotRepeated() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(9);
      // Sent by an earlier run whose database record was lost (restored backup, say).
      String earlier;
      try (ChainClient sameKey = ChainClient.connect(h.anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(5))) {
        SignedTransaction tx = sameKey.signAnchor(h.contract(), sameKey.nonce(true), sameKey.gasPrice(),
            sealed.batchId(), sealed.merkleRoot());
        sameKey.broadcast(tx.raw());
        earlier = AnchorContractTest.awaitReceipt(sameKey, tx.hash()).txHash();
      }
      AnchorBatch fin = h.driveToFinal(sealed.batchId());
      assertThat(fin.txHash()).contains(earlier);
      assertThat(h.repository.attempts(sealed.batchId())).as("nothing sent").isEmpty();
      h.assertAnchoredExactlyOnce(fin);
    }
  }

  @Test
  void aDifferentRootOnChainForTheBatchIdIsNeverOverwrittenOrAccepted() {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch sealed = h.seal(2);
      byte[] forged = sealed.merkleRoot().clone();
      forged[0] ^= 1;
      try (ChainClient sameKey = ChainClient.connect(h.anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(5))) {
        SignedTransaction tx = sameKey.signAnchor(h.contract(), sameKey.nonce(true), sameKey.gasPrice(),
            sealed.batchId(), forged);
        sameKey.broadcast(tx.raw());
        AnchorContractTest.awaitReceipt(sameKey, tx.hash());
      }
      for (int i = 0; i < 3; i++) {
        h.worker.runOnce();
        h.anvil.mine(1);
      }
      AnchorBatch batch = h.batch(sealed.batchId());
      assertThat(batch.status()).isEqualTo(AnchorStatus.PENDING);
      assertThat(batch.lastError()).hasValueSatisfying(e -> assertThat(e).contains("already holds root", "not ours"));
      assertThat(h.repository.attempts(sealed.batchId())).isEmpty();
    }
  }

  @Test
  void aContractWeDoNotOwnIsNeverSentATransaction() {
    try (TestChain anvil = TestChain.start();
         ChainClient stranger = ChainClient.connect(anvil.rpcUrl(), TestChain.OTHER_PRIVATE_KEY, Duration.ofSeconds(5))) {
      SignedTransaction deployment = stranger.signDeployment(stranger.nonce(true), stranger.gasPrice(),
          AnchorContract.load().creationCode());
      stranger.broadcast(deployment.raw());
      String foreign = AnchorContractTest.awaitReceipt(stranger, deployment.hash()).contractAddress().orElseThrow();
      try (AnchoringHarness h = AnchoringHarness.start(anvil, 2, Duration.ofMinutes(2), Optional.of(foreign))) {
        SealedBatch sealed = h.seal(1);
        int broadcasts = h.proxy.broadcastsSeen();
        h.worker.runOnce();
        AnchorBatch batch = h.batch(sealed.batchId());
        assertThat(batch.status()).isEqualTo(AnchorStatus.PENDING);
        assertThat(batch.lastError()).hasValueSatisfying(e -> assertThat(e).contains("would revert"));
        assertThat(h.proxy.broadcastsSeen()).isEqualTo(broadcasts);
      }
    }
  }

  @Test
  void aChainResetHaltsUnfinishedBatchesInsteadOfRedoingThem() {
    try (AnchoringHarness h = AnchoringHarness.start(50)) {
      h.worker.runOnce();
      SealedBatch before = h.seal(4);
      AnchorBatch included = h.drive(before.batchId(), b -> b.status() == AnchorStatus.INCLUDED, false, "INCLUDED");
      String oldGenesis = h.anvil.blockHash(0);
      // anvil stamps its genesis block with the start second: a reset within the same second
      // would be the same genesis, so let the second tick over first.
      long genesisSecond = Long.decode(h.anvil.call("eth_getBlockByNumber", "0x0", false).get("timestamp").asText());
      while (java.time.Instant.now().getEpochSecond() <= genesisSecond) {
        AnchoringHarness.pause();
      }

      h.anvil.process().restart(); // same URL, a brand-new chain (no state file): id 31337, new genesis
      assertThat(h.anvil.blockHash(0)).isNotEqualTo(oldGenesis);
      SealedBatch after = h.seal(2);
      int broadcasts = h.proxy.broadcastsSeen();
      AnchorBatch afterFinal = h.driveToFinal(after.batchId()); // 50 confirmations: mined one per pass

      AnchorBatch halted = h.batch(before.batchId());
      assertThat(halted.status()).as("neither lost nor redone").isEqualTo(AnchorStatus.INCLUDED);
      assertThat(halted.blockHash()).isEqualTo(included.blockHash());
      assertThat(halted.lastError()).hasValueSatisfying(e -> assertThat(e).contains("chain reset", oldGenesis));
      assertThat(h.repository.attempts(before.batchId())).hasSize(1);
      assertThat(h.anvil.knows(included.txHash().orElseThrow())).as("not resent to the new chain").isFalse();
      assertThat(h.proxy.broadcastsSeen() - broadcasts).as("only the new contract and the new batch were sent")
          .isEqualTo(2);
      assertThat(afterFinal.genesisHash()).contains(h.anvil.blockHash(0));
    }
  }

  @Test
  void onlyOneReplicaAnchorsAtATime() throws Exception {
    try (AnchoringHarness h = AnchoringHarness.start(2)) {
      h.worker.runOnce();
      SealedBatch held = h.seal(1);
      try (var lock = com.rendertrust.server.platform.db.AdvisoryLock.tryAcquire(h.database.dataSource(),
          AnchoringWorker.LOCK_KEY).orElseThrow()) {
        assertThat(h.worker.runOnce()).isEqualTo(Pass.NOT_LEADER);
        assertThat(h.batch(held.batchId()).status()).isEqualTo(AnchorStatus.PENDING);
      }

      // Two replicas (separate chain clients and workers, one database) race over many batches.
      List<SealedBatch> batches = new ArrayList<>(List.of(held));
      for (int i = 0; i < 5; i++) {
        batches.add(h.seal(1 + i));
      }
      AnchorStateMachine otherMachine;
      try (ChainClient otherChain = ChainClient.connect(h.proxy.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(3));
           AnchoringWorker other = new AnchoringWorker(h.database.dataSource(),
               otherMachine = new AnchorStateMachine(h.repository, otherChain,
                   new AnchorContractResolver(otherChain, h.repository, AnchorContract.load(), Optional.empty(), h.clock),
                   2, Duration.ofMinutes(10), h.clock), Duration.ofMillis(10))) {
        assertThat(otherMachine).isNotNull();
        other.start();
        for (SealedBatch sealed : batches) {
          h.driveToFinal(sealed.batchId());
        }
      }
      for (SealedBatch sealed : batches) {
        AnchorBatch fin = h.batch(sealed.batchId());
        assertThat(h.repository.attempts(sealed.batchId())).hasSize(1);
        h.assertAnchoredExactlyOnce(fin);
      }
      assertThat(BigInteger.valueOf(h.anvil.blockNumber())).isPositive();
    }
  }
}
