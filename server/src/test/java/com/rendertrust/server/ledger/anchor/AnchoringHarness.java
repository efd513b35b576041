package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import com.rendertrust.server.ledger.merkle.MerkleHashing;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.ChainFaultProxy;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestInfrastructure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Anchoring as the server wires it (repository, chain client, contract resolver, state machine,
 * worker) over a fresh real PostgreSQL database and a real anvil reached through a
 * {@link ChainFaultProxy}. Tests drive the worker's passes themselves and inject faults on the
 * chain directly.
 */
final class AnchoringHarness implements AutoCloseable {

  final TestChain anvil;
  final ChainFaultProxy proxy;
  final Database database;
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T06:00:00Z"));
  final AnchorRepository repository;
  final MerkleBatchSealer sealer;
  private final int confirmations;
  private final Duration resubmitAfter;
  private final Optional<String> configuredContract;
  private final List<AutoCloseable> process = new ArrayList<>();
  ChainClient chain;
  AnchorContractResolver contracts;
  AnchoringWorker worker;
  private long nextSequence = 1;

  private AnchoringHarness(TestChain anvil, int confirmations, Duration resubmitAfter,
      Optional<String> configuredContract) {
    this.anvil = anvil;
    this.proxy = ChainFaultProxy.in(anvil.rpcUrl());
    this.database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    this.repository = new AnchorRepository(database.dsl());
    this.sealer = new MerkleBatchSealer(repository, clock);
    this.confirmations = confirmations;
    this.resubmitAfter = resubmitAfter;
    this.configuredContract = configuredContract;
    startProcess();
  }

  static AnchoringHarness start(int confirmations) {
    return new AnchoringHarness(TestChain.start(), confirmations, Duration.ofMinutes(10), Optional.empty());
  }

  static AnchoringHarness start(TestChain anvil, int confirmations, Duration resubmitAfter, Optional<String> contract) {
    return new AnchoringHarness(anvil, confirmations, resubmitAfter, contract);
  }

  /** What a server process holds in memory; dropping and rebuilding it is a crash and restart. */
  private void startProcess() {
    chain = ChainClient.connect(proxy.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(3));
    contracts = new AnchorContractResolver(chain, repository, AnchorContract.load(), configuredContract, clock);
    AnchorStateMachine machine = new AnchorStateMachine(repository, chain, contracts, confirmations, resubmitAfter, clock);
    worker = new AnchoringWorker(database.dataSource(), machine, Duration.ofMillis(50));
    process.add(worker);
    process.add(chain);
  }

  /** The process dies (nothing in memory survives) and a new one starts over the same database and chain. */
  void crashAndRestart() {
    closeProcess();
    startProcess();
  }

  /** Seals a batch of {@code leaves} synthetic entries with the next sequence numbers. */
  SealedBatch seal(int leaves) {
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < leaves; i++) {
      hashes.add(MerkleHashing.leafHash(("entry " + (nextSequence + i)).getBytes(StandardCharsets.UTF_8)));
    }
    long first = nextSequence;
    nextSequence += leaves;
    return database.dsl().transactionResult(cfg ->
        sealer.seal(org.jooq.impl.DSL.using(cfg), hashes, first, first + leaves - 1));
  }

  AnchorBatch batch(long id) {
    return repository.find(id).orElseThrow();
  }

  String contract() {
    return contracts.current().orElseThrow();
  }

  /**
   * Runs worker passes (mining a block after each when {@code mine}) until the batch satisfies
   * {@code goal}; fails with the batch's last state after the deadline.
   */
  AnchorBatch drive(long batchId, Predicate<AnchorBatch> goal, boolean mine, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    AnchorBatch last = null;
    while (System.nanoTime() < deadline) {
      worker.runOnce();
      last = batch(batchId);
      if (goal.test(last)) {
        return last;
      }
      if (mine) {
        anvil.mine(1);
      }
      pause();
    }
    throw new AssertionError("batch " + batchId + " never became " + what + "; last: " + last);
  }

  AnchorBatch driveToFinal(long batchId) {
    return drive(batchId, b -> b.status() == AnchorStatus.FINAL, true, "FINAL");
  }

  /** The chain's view after the test: exactly one Anchored event for the batch, carrying our root. */
  void assertAnchoredExactlyOnce(AnchorBatch batch) {
    ChainClient reader = ChainClient.connect(anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(5));
    try (reader) {
      String contract = batch.contractAddress().orElseThrow();
      assertThat(reader.rootOf(contract, batch.id())).as("rootOf(%d)", batch.id())
          .hasValueSatisfying(root -> assertThat(root).isEqualTo(batch.merkleRoot()));
      var logs = reader.anchoredLogs(contract, batch.id());
      assertThat(logs).as("Anchored events of batch %d on the canonical chain", batch.id()).hasSize(1);
      assertThat(logs.get(0).txHash()).isEqualTo(batch.txHash().orElseThrow());
      assertThat(logs.get(0).blockNumber()).isEqualTo(batch.blockNumber().orElseThrow());
      assertThat(logs.get(0).blockHash()).isEqualTo(batch.blockHash().orElseThrow());
    }
  }

  static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void closeProcess() {
    for (AutoCloseable closeable : process) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    process.clear();
  }

  @Override
  public void close() {
    closeProcess();
    proxy.close();
    database.close();
    anvil.close();
  }
}
