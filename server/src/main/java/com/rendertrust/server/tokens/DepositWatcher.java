package com.rendertrust.server.tokens;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.LedgerEntry;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.ledger.anchor.ChainUnavailableException;
import com.rendertrust.server.platform.db.AdvisoryLock;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the deposit contract's {@code Deposit} logs and credits them, on one replica at a
 * time (an advisory lock, like anchoring). A pass:
 * <ol>
 *   <li>reads the logs of blocks {@code cursor .. min(head, cursor + range - 1)} with
 *       {@code eth_getLogs} and records each once per (tx hash, log index), PENDING;</li>
 *   <li>moves the persisted cursor, in the same commit, only past blocks already
 *       {@code confirmations} deep, so the unsettled blocks near the head are read again on the
 *       next pass (a log re-mined elsewhere after a reorg is seen there);</li>
 *   <li>settles each PENDING deposit that is {@code confirmations} deep: if its block is still the
 *       canonical one at that height it is credited to the owner of its reference (CONFIRMED, in
 *       the same commit as the ledger transfer, which is unique per log), recorded as
 *       UNKNOWN_REFERENCE and alerted when no user has that reference, or REORGED when the block
 *       was replaced.</li>
 * </ol>
 * A crash anywhere leaves either the old state or the new one: reading a range again records
 * nothing twice, and a credited log is never credited again.
 */
public final class DepositWatcher implements AutoCloseable {

  /** The advisory lock key of the deposit watcher ("RTDEPOSI" in ASCII). */
  public static final long LOCK_KEY = 0x5254_4445_504F_5349L;

  private static final Logger log = LoggerFactory.getLogger(DepositWatcher.class);

  private final DataSource dataSource;
  private final DSLContext dsl;
  private final ChainClient chain;
  private final TokenDeployment deployment;
  private final CreditService credits;
  private final BigDecimal creditsPerToken;
  private final int confirmations;
  private final int blockRange;
  private final Duration interval;
  private final DepositRepository deposits = new DepositRepository();
  private final ScheduledExecutorService scheduler;
  private volatile String lastProblem = "";

  DepositWatcher(DataSource dataSource, DSLContext dsl, ChainClient chain, TokenDeployment deployment,
      CreditService credits, BigDecimal creditsPerToken, int confirmations, int blockRange, Duration interval) {
    this.dataSource = dataSource;
    this.dsl = dsl;
    this.chain = chain;
    this.deployment = deployment;
    this.credits = credits;
    this.creditsPerToken = creditsPerToken;
    this.confirmations = confirmations;
    this.blockRange = blockRange;
    this.interval = interval;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-deposits").factory());
  }

  DepositWatcher start() {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        runOnce();
      } catch (RuntimeException e) {
        log.error("deposit pass failed", e);
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
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
      TokenDeployment.Addresses addresses = deployment.resolve();
      long head = chain.blockNumber();
      long settledThrough = head - confirmations + 1;
      scan(addresses.depositContract(), head, settledThrough);
      for (DepositRepository.Deposit pending : deposits.pendingThrough(dsl, addresses.depositContract(),
          settledThrough)) {
        try {
          settle(pending);
        } catch (ChainUnavailableException e) {
          throw e;
        } catch (RuntimeException e) {
          // one deposit that cannot be settled (e.g. worth more than a ledger amount holds) must
          // not hold up the others; it stays PENDING and is retried (and logged) every pass
          log.error("ALERT deposit {}:{} could not be settled: {}", pending.txHash(), pending.logIndex(),
              e.getMessage(), e);
        }
      }
      if (!lastProblem.isEmpty()) {
        log.info("deposit watcher recovered after: {}", lastProblem);
        lastProblem = "";
      }
      return true;
    } catch (ChainUnavailableException e) {
      return problem("chain unavailable: " + e.getMessage(), null);
    } catch (RuntimeException e) {
      return problem(String.valueOf(e.getMessage()), e);
    }
  }

  private void scan(String contract, long head, long settledThrough) {
    long from = deposits.cursor(dsl, contract).orElse(Math.max(0, head - blockRange + 1));
    long to = Math.min(head, from + blockRange - 1);
    if (to < from) {
      return;
    }
    List<ChainClient.RawLog> logs = chain.logs(contract, TokenContracts.depositTopic(), from, to);
    long next = Math.max(from, Math.min(to, settledThrough) + 1);
    dsl.transaction(cfg -> {
      for (ChainClient.RawLog raw : logs) {
        deposits.record(cfg.dsl(), contract, raw.blockNumber(), raw.blockHash(), raw.txHash(), raw.logIndex(),
            TokenContracts.decodeDeposit(raw.topics(), raw.data()));
      }
      deposits.setCursor(cfg.dsl(), contract, next);
    });
  }

  private void settle(DepositRepository.Deposit pending) {
    Optional<String> canonical = chain.blockHashAt(pending.blockNumber());
    boolean stillThere = canonical.isPresent() && canonical.get().equalsIgnoreCase(pending.blockHash());
    dsl.transaction(cfg -> {
      DSLContext tx = cfg.dsl();
      Optional<DepositRepository.Deposit> locked =
          deposits.lockPending(tx, pending.txHash(), pending.logIndex(), pending.blockHash());
      if (locked.isEmpty()) {
        return; // settled or moved to another block meanwhile
      }
      DepositRepository.Deposit deposit = locked.get();
      if (!stillThere) {
        log.warn("deposit {}:{} of block {} was reorganised away: REORGED, not credited", deposit.txHash(),
            deposit.logIndex(), deposit.blockNumber());
        deposits.settle(tx, deposit.txHash(), deposit.logIndex(), "REORGED", Optional.empty(), OptionalLong.empty(),
            Optional.empty());
        return;
      }
      Optional<UUID> owner = deposits.ownerOf(tx, deposit.reference());
      if (owner.isEmpty()) {
        log.error("ALERT deposit {}:{} of {} token units from {} names unknown reference {}: recorded, not credited",
            deposit.txHash(), deposit.logIndex(), deposit.tokenAmount(), deposit.from(), deposit.reference());
        deposits.settle(tx, deposit.txHash(), deposit.logIndex(), "UNKNOWN_REFERENCE", Optional.empty(),
            OptionalLong.empty(), Optional.empty());
        return;
      }
      long units = creditUnits(deposit.tokenAmount());
      if (units <= 0) {
        log.warn("deposit {}:{} of {} token units is worth less than 0.0001 credits: TOO_SMALL", deposit.txHash(),
            deposit.logIndex(), deposit.tokenAmount());
        deposits.settle(tx, deposit.txHash(), deposit.logIndex(), "TOO_SMALL", owner, OptionalLong.of(0),
            Optional.empty());
        return;
      }
      LedgerEntry entry = credits.postDeposit(tx, owner.get(), new CreditAmount(units),
          deposit.txHash() + ":" + deposit.logIndex(), "Token deposit " + tokens(deposit.tokenAmount()) + " RTK");
      deposits.settle(tx, deposit.txHash(), deposit.logIndex(), "CONFIRMED", owner, OptionalLong.of(units),
          Optional.of(entry.id()));
    });
  }

  /** Ten-thousandths of a credit for {@code tokenUnits} (10^18 a token), rounded down. */
  long creditUnits(BigInteger tokenUnits) {
    return new BigDecimal(tokenUnits).multiply(creditsPerToken).movePointRight(CreditAmount.SCALE)
        .movePointLeft(18).setScale(0, RoundingMode.DOWN).longValueExact();
  }

  /** Whole tokens, as a plain decimal. */
  static String tokens(BigInteger units) {
    return new BigDecimal(units).movePointLeft(18).stripTrailingZeros().toPlainString();
  }

  private boolean problem(String message, Throwable cause) {
    if (!message.equals(lastProblem)) {
      if (cause != null) {
        log.warn("deposit pass: {}", message, cause);
      } else {
        log.warn("deposit pass: {}", message);
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
