package com.rendertrust.server.tokens;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.ledger.anchor.ChainUnavailableException;
import com.rendertrust.server.platform.db.AdvisoryLock;
import java.math.BigInteger;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends payouts from the treasury key, on one replica at a time (an advisory lock), one
 * transaction in flight at a time (so the treasury's nonces stay gap-free):
 *
 * <table>
 *   <caption>Payout states</caption>
 *   <tr><th>from</th><th>to</th><th>when</th></tr>
 *   <tr><td>PENDING</td><td>SUBMITTED</td><td>the ERC-20 transfer is signed locally; hash, nonce and
 *       raw bytes are committed <b>before</b> it is broadcast</td></tr>
 *   <tr><td>SUBMITTED</td><td>SUBMITTED</td><td>not mined and unknown to the node (a crash before
 *       sending, a lost or dropped broadcast): the same bytes are sent again (same nonce)</td></tr>
 *   <tr><td>SUBMITTED</td><td>CONFIRMED</td><td>mined, succeeded, {@code confirmations} deep on the
 *       canonical chain: PAYOUTS_CLEARING -> CHAIN_CLEARING</td></tr>
 *   <tr><td>SUBMITTED</td><td>FAILED</td><td>the transfer reverted, or its nonce was taken by another
 *       transaction: the amount goes back to the operator's earnings</td></tr>
 * </table>
 *
 * Only one signed transaction ever exists per payout, and only one of the same nonce can be
 * mined, so a payout is never paid twice; it stays SUBMITTED (and is resent) until it is mined or
 * provably cannot be, so it is never lost.
 */
public final class PayoutWorker implements AutoCloseable {

  /** The advisory lock key of payouts ("RTPAYOUT" in ASCII). */
  public static final long LOCK_KEY = 0x5254_5041_594F_5554L;

  private static final BigInteger TRANSFER_GAS = BigInteger.valueOf(100_000);
  private static final Logger log = LoggerFactory.getLogger(PayoutWorker.class);

  private final DataSource dataSource;
  private final DSLContext dsl;
  private final ChainClient treasury;
  private final TokenDeployment deployment;
  private final CreditService credits;
  private final int confirmations;
  private final Duration interval;
  private final PayoutRepository payouts = new PayoutRepository();
  private final ScheduledExecutorService scheduler;
  private volatile String lastProblem = "";

  PayoutWorker(DataSource dataSource, DSLContext dsl, ChainClient treasury, TokenDeployment deployment,
      CreditService credits, int confirmations, Duration interval) {
    this.dataSource = dataSource;
    this.dsl = dsl;
    this.treasury = treasury;
    this.deployment = deployment;
    this.credits = credits;
    this.confirmations = confirmations;
    this.interval = interval;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-payouts").factory());
  }

  PayoutWorker start() {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        runOnce();
      } catch (RuntimeException e) {
        log.error("payout pass failed", e);
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One pass on the calling thread; false when another replica holds the lock or something failed (logged). */
  public synchronized boolean runOnce() {
    Optional<AdvisoryLock> lock;
    try {
      lock = AdvisoryLock.tryAcquire(dataSource, LOCK_KEY);
    } catch (SQLException e) {
      return problem("database unavailable: " + e.getMessage(), null);
    }
    if (lock.isEmpty()) {
      return false;
    }
    try (AdvisoryLock held = lock.get()) {
      List<PayoutRepository.Payout> submitted = payouts.withStatus(dsl, "SUBMITTED");
      if (submitted.isEmpty() && payouts.withStatus(dsl, "PENDING").isEmpty()) {
        return true;
      }
      String token = deployment.resolve().token();
      long head = treasury.blockNumber();
      for (PayoutRepository.Payout payout : submitted) {
        advance(payout, head);
      }
      if (payouts.withStatus(dsl, "SUBMITTED").isEmpty()) {
        payouts.withStatus(dsl, "PENDING").stream().findFirst().ifPresent(next -> send(next, token));
      }
      lastProblem = "";
      return true;
    } catch (ChainUnavailableException e) {
      return problem("chain unavailable: " + e.getMessage(), null);
    } catch (RuntimeException e) {
      return problem(String.valueOf(e.getMessage()), e);
    }
  }

  /** Signs the transfer, commits it with SUBMITTED, then broadcasts it. */
  private void send(PayoutRepository.Payout payout, String token) {
    long nonce = treasury.nonce(true);
    ChainClient.SignedTransaction signed = treasury.signCall(token, nonce, treasury.gasPrice(), TRANSFER_GAS,
        TokenContracts.transferCall(payout.wallet(), payout.tokenAmount()));
    payouts.recordSigned(dsl, payout.id(), signed.hash(), nonce, signed.raw());
    log.info("payout {}: signed transfer {} (nonce {}) of {} token units to {}", payout.id(), signed.hash(), nonce,
        payout.tokenAmount(), payout.wallet());
    treasury.broadcast(signed.raw());
  }

  private void advance(PayoutRepository.Payout payout, long head) {
    String txHash = payout.txHash().orElseThrow();
    Optional<ChainClient.Receipt> receipt = treasury.receipt(txHash);
    if (receipt.isPresent()) {
      ChainClient.Receipt mined = receipt.get();
      if (!mined.succeeded()) {
        fail(payout, "the transfer reverted in block " + mined.blockNumber());
        return;
      }
      boolean deep = head - mined.blockNumber() + 1 >= confirmations;
      boolean canonical = treasury.blockHashAt(mined.blockNumber()).map(mined.blockHash()::equalsIgnoreCase)
          .orElse(false);
      if (deep && canonical) {
        dsl.transaction(cfg -> {
          if (payouts.lock(cfg.dsl(), payout.id(), "SUBMITTED").isPresent()) {
            credits.settlePayout(cfg.dsl(), new CreditAmount(payout.amountUnits()), payout.id());
            payouts.finish(cfg.dsl(), payout.id(), "CONFIRMED", Optional.of(mined.blockNumber()), Optional.empty());
          }
        });
        log.info("payout {} CONFIRMED in block {}", payout.id(), mined.blockNumber());
      }
      return;
    }
    if (treasury.nonce(false) > payout.nonce().orElseThrow() && treasury.receipt(txHash).isEmpty()) {
      // our nonce is used on chain by a transaction that is not ours: this one can never be mined
      fail(payout, "nonce " + payout.nonce().get() + " was taken by another transaction");
      return;
    }
    if (!treasury.isKnown(txHash)) {
      ChainClient.Broadcast broadcast = treasury.broadcast(payout.raw().orElseThrow());
      log.info("payout {}: resent transfer {} (same nonce): {}", payout.id(), txHash, broadcast.outcome());
    }
  }

  private void fail(PayoutRepository.Payout payout, String reason) {
    dsl.transaction(cfg -> {
      if (payouts.lock(cfg.dsl(), payout.id(), "SUBMITTED").isPresent()) {
        credits.returnPayout(cfg.dsl(), payout.operatorId(), new CreditAmount(payout.amountUnits()), payout.id());
        payouts.finish(cfg.dsl(), payout.id(), "FAILED", Optional.empty(), Optional.of(reason));
      }
    });
    log.warn("payout {} FAILED ({}): the amount is back in the operator's earnings", payout.id(), reason);
  }

  private boolean problem(String message, Throwable cause) {
    if (!message.equals(lastProblem)) {
      if (cause != null) {
        log.warn("payout pass: {}", message, cause);
      } else {
        log.warn("payout pass: {}", message);
      }
      lastProblem = message;
    }
    return false;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
