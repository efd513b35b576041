package com.rendertrust.server.testing;

import com.rendertrust.server.jobs.JobBilling;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST ONLY: a stand-in for the credits ledger's hold API until the credits feature is merged.
 * It enforces balances (available = balance - open holds), so 402 paths are real, splits a
 * captured price 70/30 between the node's operator and the platform, and can be told to fail
 * calls to exercise the retry of settlements. Its {@link #checkInvariants()} is the money check
 * of these tests: nothing created or lost, no hold resolved twice, no balance below zero.
 */
public final class InMemoryJobBilling implements JobBilling {

  public enum HoldState { HELD, CAPTURED, RELEASED }

  public record Hold(UUID userId, long amount, HoldState state, UUID operator) {
  }

  private static final long OPERATOR_SHARE_PERCENT = 70;

  private final Map<UUID, Long> balances = new HashMap<>();
  private final Map<UUID, Hold> holds = new HashMap<>();
  private final Map<UUID, Long> earnings = new HashMap<>();
  private long platformRevenue;
  private long deposited;
  private final AtomicInteger failuresToInject = new AtomicInteger();
  private final AtomicInteger captureCalls = new AtomicInteger();

  public synchronized void deposit(UUID userId, long amount) {
    balances.merge(userId, amount, Long::sum);
    deposited += amount;
  }

  /** The next {@code count} capture/release calls throw, as if the ledger were unreachable. */
  public void failNext(int count) {
    failuresToInject.set(count);
  }

  @Override
  public synchronized void hold(UUID jobId, UUID userId, long amount) {
    if (amount <= 0) {
      throw new IllegalArgumentException("holds are positive");
    }
    Hold existing = holds.get(jobId);
    if (existing != null) {
      if (existing.userId().equals(userId) && existing.amount() == amount) {
        return;
      }
      throw new IllegalStateException("hold " + jobId + " already exists with different terms");
    }
    long available = available(userId);
    if (available < amount) {
      throw new DomainException(Reason.INSUFFICIENT_CREDITS, "insufficient credits",
          Map.of("available", credits(available), "requested", credits(amount)));
    }
    holds.put(jobId, new Hold(userId, amount, HoldState.HELD, null));
  }

  @Override
  public synchronized void capture(UUID jobId, UUID operatorUserId) {
    captureCalls.incrementAndGet();
    injectFailure();
    Hold hold = holds.get(jobId);
    if (hold == null || hold.state() == HoldState.RELEASED) {
      throw new IllegalStateException("capture of job " + jobId + " without an open hold: " + hold);
    }
    if (hold.state() == HoldState.CAPTURED) {
      return;
    }
    balances.merge(hold.userId(), -hold.amount(), Long::sum);
    long operatorShare = operatorUserId == null ? 0 : hold.amount() * OPERATOR_SHARE_PERCENT / 100;
    if (operatorUserId != null) {
      earnings.merge(operatorUserId, operatorShare, Long::sum);
    }
    platformRevenue += hold.amount() - operatorShare;
    holds.put(jobId, new Hold(hold.userId(), hold.amount(), HoldState.CAPTURED, operatorUserId));
  }

  @Override
  public synchronized void release(UUID jobId) {
    injectFailure();
    Hold hold = holds.get(jobId);
    if (hold == null || hold.state() == HoldState.RELEASED) {
      return;
    }
    if (hold.state() == HoldState.CAPTURED) {
      throw new IllegalStateException("release of job " + jobId + " after its capture");
    }
    holds.put(jobId, new Hold(hold.userId(), hold.amount(), HoldState.RELEASED, null));
  }

  public synchronized long balance(UUID userId) {
    return balances.getOrDefault(userId, 0L);
  }

  public synchronized long available(UUID userId) {
    long held = holds.values().stream()
        .filter(hold -> hold.userId().equals(userId) && hold.state() == HoldState.HELD)
        .mapToLong(Hold::amount).sum();
    return balance(userId) - held;
  }

  public synchronized long earnings(UUID operatorUserId) {
    return earnings.getOrDefault(operatorUserId, 0L);
  }

  public synchronized long platformRevenue() {
    return platformRevenue;
  }

  public synchronized Hold hold(UUID jobId) {
    return holds.get(jobId);
  }

  public synchronized int holdCount() {
    return holds.size();
  }

  public int captureCalls() {
    return captureCalls.get();
  }

  /** Conservation and no overdraft; throws AssertionError naming the broken rule. */
  public synchronized void checkInvariants() {
    long userMoney = balances.values().stream().mapToLong(Long::longValue).sum();
    long operatorMoney = earnings.values().stream().mapToLong(Long::longValue).sum();
    if (userMoney + operatorMoney + platformRevenue != deposited) {
      throw new AssertionError("money not conserved: users " + userMoney + " + operators " + operatorMoney
          + " + platform " + platformRevenue + " != deposited " + deposited);
    }
    for (UUID user : balances.keySet()) {
      if (available(user) < 0) {
        throw new AssertionError("user " + user + " overdrawn: available " + available(user));
      }
    }
  }

  private void injectFailure() {
    if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new IllegalStateException("injected billing failure");
    }
  }

  public static String credits(long tenThousandths) {
    return BigDecimal.valueOf(tenThousandths, 4).toPlainString();
  }
}
