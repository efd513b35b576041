package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.ledger.anchor.ChainClient.AnchoredLog;
import com.rendertrust.server.ledger.anchor.ChainClient.Broadcast;
import com.rendertrust.server.ledger.anchor.ChainClient.Receipt;
import com.rendertrust.server.ledger.anchor.ChainClient.SignedTransaction;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves each unfinished batch PENDING -> SUBMITTED -> INCLUDED -> FINAL as far as the chain
 * allows, one step per batch per pass, from what the database and the chain say right now (no
 * state kept between passes, so a restart or another replica continues exactly where it stood).
 *
 * <p>Never anchoring twice rests on three layers: (1) a transaction is signed locally and
 * recorded with its nonce BEFORE it is broadcast, and after that only the same bytes are resent
 * or a same-nonce replacement is signed, so at most one of them can ever be mined; (2) a new
 * nonce is used only when the recorded one is provably taken by someone else AND the contract
 * holds no root for the batch; (3) the contract itself reverts a second anchor of a batch id.
 * Only one anchor transaction is unmined at a time, which keeps nonces gap-free.
 */
public final class AnchorStateMachine {

  private static final Logger log = LoggerFactory.getLogger(AnchorStateMachine.class);
  private static final HexFormat HEX = HexFormat.of();

  private final AnchorRepository repository;
  private final ChainClient chain;
  private final AnchorContractResolver contracts;
  private final int confirmations;
  private final Duration resubmitAfter;
  private final Clock clock;

  public AnchorStateMachine(AnchorRepository repository, ChainClient chain, AnchorContractResolver contracts,
      int confirmations, Duration resubmitAfter, Clock clock) {
    this.repository = repository;
    this.chain = chain;
    this.contracts = contracts;
    this.confirmations = confirmations;
    this.resubmitAfter = resubmitAfter;
    this.clock = clock;
  }

  /**
   * One pass over every unfinished batch, oldest first. A chain outage aborts the pass
   * ({@link ChainUnavailableException}); a node error on one batch is recorded on it and the
   * pass goes on.
   */
  public void advanceAll() {
    String current = contracts.resolve();
    ChainIdentity chainNow = chain.identity();
    Map<String, Boolean> contractAlive = new HashMap<>();
    contractAlive.put(current, true);
    boolean unminedInFlight = false;
    for (AnchorBatch batch : repository.unfinished()) {
      String contract = batch.contractAddress().map(ChainAddresses::normalize).orElse(current);
      if (batch.genesisHash().isPresent() && !batch.genesisHash().get().equalsIgnoreCase(chainNow.genesisHash())) {
        alert(batch, "chain reset: this batch went to chain " + batch.chainId().orElseThrow() + " with genesis "
            + batch.genesisHash().get() + ", the endpoint now serves genesis " + chainNow.genesisHash()
            + "; anchoring of this batch is halted until an operator resolves it");
        continue;
      }
      if (!contractAlive.computeIfAbsent(contract, chain::hasCode)) {
        alert(batch, "contract " + contract + " of this batch has no code on chain " + chainNow.chainId()
            + "; anchoring of this batch is halted until an operator resolves it");
        continue;
      }
      try {
        AnchorStatus after = switch (batch.status()) {
          case PENDING -> unminedInFlight ? AnchorStatus.PENDING : submit(batch, contract, chainNow);
          case SUBMITTED -> followSubmitted(batch, contract, chainNow);
          case INCLUDED -> followIncluded(batch, contract);
          case FINAL -> AnchorStatus.FINAL;
        };
        unminedInFlight |= after == AnchorStatus.SUBMITTED;
      } catch (ChainRpcException e) {
        warn(batch, e.getMessage());
        unminedInFlight |= batch.status() == AnchorStatus.SUBMITTED;
      }
    }
  }

  private AnchorStatus submit(AnchorBatch batch, String contract, ChainIdentity chainNow) {
    Optional<byte[]> onChain = chain.rootOf(contract, batch.id());
    if (onChain.isPresent()) {
      return adoptOrRefuse(batch, contract, chainNow, onChain.get());
    }
    Optional<String> revert = chain.anchorWouldRevert(contract, batch.id(), batch.merkleRoot());
    if (revert.isPresent()) {
      alert(batch, "anchor(" + batch.id() + ") would revert: " + revert.get() + "; not sending");
      return AnchorStatus.PENDING;
    }
    SignedTransaction tx =
        chain.signAnchor(contract, chain.nonce(true), chain.gasPrice(), batch.id(), batch.merkleRoot());
    if (!repository.recordFirstAttempt(batch.id(), tx, chainNow, contract, clock.instant())) {
      return batch.status();
    }
    log.info("batch {} SUBMITTED: tx {} (nonce {})", batch.id(), tx.hash(), tx.nonce());
    send(batch.id(), tx.hash(), tx.raw());
    return AnchorStatus.SUBMITTED;
  }

  private AnchorStatus followSubmitted(AnchorBatch batch, String contract, ChainIdentity chainNow) {
    String currentTx = batch.txHash().orElseThrow();
    List<AnchorAttempt> attempts = repository.attempts(batch.id());
    Optional<AnchorAttempt> latest = attempts.stream().filter(a -> a.txHash().equals(currentTx)).findFirst();
    // A fee bump shares its predecessor's nonce and either of them may be the one mined. Attempts
    // with other nonces are history (reverted, or their nonce went to someone else).
    for (String txHash : sameNonceHashes(currentTx, latest, attempts)) {
      Optional<Receipt> receipt = chain.receipt(txHash);
      if (receipt.isPresent()) {
        return onReceipt(batch, contract, chainNow, receipt.get());
      }
    }
    if (latest.isEmpty()) {
      // The current transaction was adopted from the chain, then lost in a reorg: nothing of ours to resend.
      return replaceWithFreshNonce(batch, contract, chainNow, currentTx);
    }
    AnchorAttempt attempt = latest.get();
    if (chain.isKnown(attempt.txHash())) {
      if (Duration.between(attempt.createdAt(), clock.instant()).compareTo(resubmitAfter) >= 0) {
        return bumpFee(batch, contract, attempt);
      }
      return AnchorStatus.SUBMITTED;
    }
    // Not mined and unknown to the node: dropped from its mempool, never sent (crash or outage
    // right after recording), or removed by a reorg. While its nonce is free, the very same
    // bytes are still the one valid anchor transaction.
    if (chain.nonce(false) <= attempt.nonce()) {
      log.info("batch {}: tx {} unknown to the node; resending the recorded transaction", batch.id(), attempt.txHash());
      send(batch.id(), attempt.txHash(), attempt.raw());
      return AnchorStatus.SUBMITTED;
    }
    return replaceWithFreshNonce(batch, contract, chainNow, currentTx);
  }

  /** Our nonce was consumed by a transaction that is not ours: anchor anew, unless the root is on chain already. */
  private AnchorStatus replaceWithFreshNonce(AnchorBatch batch, String contract, ChainIdentity chainNow,
      String currentTx) {
    Optional<byte[]> onChain = chain.rootOf(contract, batch.id());
    if (onChain.isPresent()) {
      return adoptOrRefuse(batch, contract, chainNow, onChain.get());
    }
    SignedTransaction tx =
        chain.signAnchor(contract, chain.nonce(true), chain.gasPrice(), batch.id(), batch.merkleRoot());
    if (!repository.recordReplacement(batch.id(), currentTx, tx, clock.instant())) {
      return batch.status();
    }
    log.warn("batch {}: nonce of tx {} was taken by another transaction; re-signed as {} (nonce {})",
        batch.id(), currentTx, tx.hash(), tx.nonce());
    send(batch.id(), tx.hash(), tx.raw());
    return AnchorStatus.SUBMITTED;
  }

  /** Same nonce, higher gas price: replaces a transaction stuck in the mempool; only one of the two can be mined. */
  private AnchorStatus bumpFee(AnchorBatch batch, String contract, AnchorAttempt stuck) {
    BigInteger bumped =
        stuck.gasPrice().multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4)).add(BigInteger.ONE);
    BigInteger gasPrice = bumped.max(chain.gasPrice());
    SignedTransaction tx = chain.signAnchor(contract, stuck.nonce(), gasPrice, batch.id(), batch.merkleRoot());
    if (!repository.recordReplacement(batch.id(), stuck.txHash(), tx, clock.instant())) {
      return batch.status();
    }
    log.info("batch {}: tx {} unmined for over {}; replaced by {} at gas price {} (same nonce {})", batch.id(),
        stuck.txHash(), resubmitAfter, tx.hash(), gasPrice, tx.nonce());
    send(batch.id(), tx.hash(), tx.raw());
    return AnchorStatus.SUBMITTED;
  }

  private AnchorStatus onReceipt(AnchorBatch batch, String contract, ChainIdentity chainNow, Receipt receipt) {
    if (receipt.succeeded()) {
      if (repository.markIncluded(batch.id(), receipt.txHash(), receipt.blockNumber(), receipt.blockHash(), chainNow,
          contract, clock.instant())) {
        log.info("batch {} INCLUDED: tx {} in block {}", batch.id(), receipt.txHash(), receipt.blockNumber());
        return AnchorStatus.INCLUDED;
      }
      return batch.status();
    }
    Optional<byte[]> onChain = chain.rootOf(contract, batch.id());
    if (onChain.isPresent()) {
      return adoptOrRefuse(batch, contract, chainNow, onChain.get());
    }
    String reason = "anchor tx " + receipt.txHash() + " reverted in block " + receipt.blockNumber();
    log.warn("batch {}: {}; back to PENDING", batch.id(), reason);
    repository.markReverted(batch.id(), batch.txHash().orElseThrow(), reason);
    return AnchorStatus.PENDING;
  }

  private AnchorStatus followIncluded(AnchorBatch batch, String contract) {
    String txHash = batch.txHash().orElseThrow();
    long block = batch.blockNumber().orElseThrow();
    String blockHash = batch.blockHash().orElseThrow();
    Optional<Receipt> receipt = chain.receipt(txHash);
    if (receipt.isEmpty() || !receipt.get().blockHash().equalsIgnoreCase(blockHash) || !receipt.get().succeeded()) {
      String reason = "reorg: block " + block + " (" + blockHash + ") no longer holds tx " + txHash;
      log.warn("batch {}: {}; back to SUBMITTED", batch.id(), reason);
      repository.markReorged(batch.id(), blockHash, reason);
      return AnchorStatus.SUBMITTED;
    }
    long depth = chain.blockNumber() - block + 1;
    if (depth < confirmations) {
      return AnchorStatus.INCLUDED;
    }
    Optional<byte[]> onChain = chain.rootOf(contract, batch.id());
    if (onChain.isEmpty() || !Arrays.equals(onChain.get(), batch.merkleRoot())) {
      warn(batch, "tx " + txHash + " is " + depth + " blocks deep but rootOf(" + batch.id() + ") is "
          + onChain.map(HEX::formatHex).orElse("empty"));
      return AnchorStatus.INCLUDED;
    }
    // The block may have been reorged out between the reads above: confirm it is still canonical.
    if (!chain.blockHashAt(block).map(blockHash::equalsIgnoreCase).orElse(false)) {
      return AnchorStatus.INCLUDED;
    }
    if (repository.markFinal(batch.id(), blockHash, clock.instant())) {
      log.info("batch {} FINAL: root {} in block {} ({} confirmations)", batch.id(), HEX.formatHex(batch.merkleRoot()),
          block, depth);
      return AnchorStatus.FINAL;
    }
    return batch.status();
  }

  /**
   * The contract already holds a root for this batch. Ours: find the transaction that put it there
   * (e.g. sent by an earlier run whose record was lost) and follow it like our own. Another root:
   * never overwrite history, never pretend; stop and alert.
   */
  private AnchorStatus adoptOrRefuse(AnchorBatch batch, String contract, ChainIdentity chainNow, byte[] onChainRoot) {
    if (!Arrays.equals(onChainRoot, batch.merkleRoot())) {
      alert(batch, "contract " + contract + " already holds root " + HEX.formatHex(onChainRoot) + " for batch "
          + batch.id() + ", not ours (" + HEX.formatHex(batch.merkleRoot()) + "); an operator must investigate");
      return batch.status();
    }
    Optional<AnchoredLog> event = chain.anchoredLogs(contract, batch.id()).stream()
        .filter(log -> Arrays.equals(log.root(), batch.merkleRoot()))
        .findFirst();
    if (event.isEmpty()) {
      warn(batch, "root is on chain but its Anchored event is not visible yet");
      return batch.status();
    }
    AnchoredLog found = event.get();
    if (repository.markIncluded(batch.id(), found.txHash(), found.blockNumber(), found.blockHash(), chainNow, contract,
        clock.instant())) {
      log.info("batch {} INCLUDED: adopted on-chain anchor tx {} in block {}", batch.id(), found.txHash(),
          found.blockNumber());
      return AnchorStatus.INCLUDED;
    }
    return batch.status();
  }

  /** Broadcasts recorded bytes. A refusal is recorded for operators; the next pass decides from chain state. */
  private void send(long batchId, String txHash, byte[] raw) {
    Broadcast result;
    try {
      result = chain.broadcast(raw);
    } catch (ChainUnavailableException e) {
      repository.recordError(batchId, "broadcast of " + txHash + " failed, will resend: " + e.getMessage());
      throw e;
    }
    switch (result.outcome()) {
      case ACCEPTED, ALREADY_KNOWN -> { }
      case NONCE_TOO_LOW -> log.info("batch {}: node says nonce of {} is used: {}", batchId, txHash, result.message());
      case REJECTED -> {
        log.warn("batch {}: node rejected {}: {}", batchId, txHash, result.message());
        repository.recordError(batchId, "node rejected " + txHash + ": " + result.message());
      }
    }
  }

  /** A condition that needs an operator: logged at ERROR when it first appears on the batch, recorded on it. */
  private void alert(AnchorBatch batch, String reason) {
    if (!batch.lastError().equals(Optional.of(AnchorRepository.truncate(reason)))) {
      log.error("batch {}: {}", batch.id(), reason);
      repository.recordError(batch.id(), reason);
    }
  }

  /** A condition the next passes are expected to clear: logged at WARN when it first appears, recorded. */
  private void warn(AnchorBatch batch, String reason) {
    if (!batch.lastError().equals(Optional.of(AnchorRepository.truncate(reason)))) {
      log.warn("batch {}: {}", batch.id(), reason);
      repository.recordError(batch.id(), reason);
    }
  }

  private static List<String> sameNonceHashes(String currentTx, Optional<AnchorAttempt> current,
      List<AnchorAttempt> attempts) {
    List<String> hashes = new ArrayList<>();
    hashes.add(currentTx);
    current.ifPresent(latest -> {
      for (int i = attempts.size() - 1; i >= 0; i--) {
        AnchorAttempt attempt = attempts.get(i);
        if (attempt.nonce() == latest.nonce() && !attempt.txHash().equals(currentTx)) {
          hashes.add(attempt.txHash());
        }
      }
    });
    return hashes;
  }
}
