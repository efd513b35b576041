package com.rendertrust.server.webhooks;

import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.webhooks.Delivery.DeliveryStatus;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's delivery loop: leases due deliveries from the outbox in batches (see
 * {@link DeliveryRows#lease}), makes up to {@code concurrency} attempts at a time on virtual
 * threads over kept-alive, SSRF-pinned connections ({@link PinnedPoster}), and hands each outcome
 * to the {@link OutcomeRecorder}, which records them in batches, each row fenced by its attempt
 * number. An attempt's slot is free as soon as its answer is in; its lease is released once its
 * outcome is stored, so at most {@code 4 * concurrency} leases are held. A failed attempt is retried
 * after {@code retryBase * 2^(attempt-1)}, capped at {@code retryCap}, with jitter (a random
 * point in the upper half of that delay), until {@code retryWindow} after the delivery was made;
 * a failure after that makes it FAILED. An endpoint failing with no success for
 * {@code disableAfter} is disabled and its pending deliveries fail.
 */
final class DeliveryWorker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
  /** Beyond the attempt's own timeout, before a lease of a replica that died runs out. */
  private static final Duration LEASE_MARGIN = Duration.ofSeconds(20);

  private final DSLContext dsl;
  private final Transactions transactions;
  private final PinnedPoster poster;
  private final WebhooksConfig config;
  private final Clock clock;
  /** Attempts leased and not yet recorded (four times the concurrency), and attempts under way. */
  private final Semaphore leased;
  private final Semaphore running;
  private final ExecutorService attempts = Executors.newVirtualThreadPerTaskExecutor();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  private final Thread loop;
  private volatile boolean open = true;
  private boolean woken;
  /** The last lease got all it asked for: more are due, so lease again once enough slots are free. */
  private boolean backlog;
  private final int batchThreshold;
  private final OutcomeRecorder outcomes;

  DeliveryWorker(DSLContext dsl, PinnedPoster poster, WebhooksConfig config, Clock clock) {
    this.dsl = dsl;
    this.transactions = new Transactions(dsl);
    this.poster = poster;
    this.config = config;
    this.clock = clock;
    this.leased = new Semaphore(4 * config.concurrency());
    this.running = new Semaphore(config.concurrency());
    this.batchThreshold = Math.max(1, config.concurrency());
    this.outcomes = new OutcomeRecorder(dsl, config.disableAfter());
    this.loop = Thread.ofPlatform().daemon().name("rt-webhook-deliveries").unstarted(this::run);
  }

  void start() {
    outcomes.start();
    loop.start();
  }

  /** Something may be due now (a new event, a finished attempt): look without waiting for the poll. */
  void wake() {
    lock.lock();
    try {
      woken = true;
      signal.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (open) {
      boolean full = false;
      try {
        int free = leased.availablePermits();
        // with a backlog, lease in batches (the concurrency at least), not one per finished
        // attempt; up to four times the concurrency is leased (running, waiting for a slot, or
        // waiting for its outcome to be stored), so the next batch is there when slots free up
        if (free > 0 && (!backlog || free >= batchThreshold)) {
          List<Lease> batch = lease(free);
          full = batch.size() == free;
          backlog = full;
          for (Lease lease : batch) {
            leased.acquireUninterruptibly();
            attempts.execute(() -> {
              boolean handedOver = false;
              try {
                running.acquireUninterruptibly();
                try {
                  handedOver = attempt(lease, this::released);
                } finally {
                  running.release();
                }
              } finally {
                if (!handedOver) {
                  released();
                }
              }
            });
          }
        }
      } catch (RuntimeException e) {
        log.warn("leasing webhook deliveries failed; retried at the next poll", e);
      }
      poster.sweepIdle();
      if (!full) {
        await();
      }
    }
  }

  private void await() {
    lock.lock();
    try {
      if (!woken && open) {
        signal.await(config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
      }
      woken = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      open = false;
    } finally {
      lock.unlock();
    }
  }

  /** Leases up to {@code limit} due attempts; what each needs to be made. */
  List<Lease> lease(int limit) {
    Instant now = clock.instant();
    Instant leaseUntil = now.plus(config.requestTimeout()).plus(LEASE_MARGIN);
    return transactions.singleStatement(tx -> DeliveryRows.lease(tx, now, leaseUntil, limit));
  }

  private void released() {
    leased.release();
    wake();
  }

  /**
   * Makes one attempt and hands its outcome to the recorder; true when it did (then
   * {@code recorded} runs once the outcome is stored or given up on).
   */
  boolean attempt(Lease lease, Runnable recorded) {
    try {
      Instant sentAt = clock.instant();
      if (sentAt.plus(config.requestTimeout()).isAfter(lease.leaseUntil())) {
        // waited too long for a slot: the lease could run out mid-request and another replica
        // make the next attempt at the same time; left to run out, the delivery is due again
        return false;
      }
      byte[] body = lease.body().getBytes(StandardCharsets.UTF_8);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/json");
      headers.put("RenderTrust-Event-Id", lease.eventId());
      headers.put("RenderTrust-Signature", WebhookSignatures.header(sentAt.getEpochSecond(), body,
          lease.endpoint().signingSecrets(sentAt)));
      PinnedPoster.Outcome outcome = poster.post(lease.endpoint().url(), headers, body);
      outcomes.add(finished(lease, outcome, recorded));
      return true;
    } catch (RuntimeException e) {
      // the lease runs out and the attempt is made again: at least once
      log.warn("webhook delivery {} attempt {} failed", lease.deliveryId(), lease.attempt(), e);
      return false;
    }
  }

  /** The row an outcome is stored as: SUCCEEDED, PENDING for a retry after the backoff, or FAILED. */
  private OutcomeRecorder.Finished finished(Lease lease, PinnedPoster.Outcome outcome, Runnable recorded) {
    Instant now = clock.instant();
    Integer status = outcome.status() == 0 ? null : outcome.status();
    if (outcome.succeeded()) {
      return new OutcomeRecorder.Finished(lease, DeliveryStatus.SUCCEEDED, now, status, null, now, recorded);
    }
    boolean retry = now.isBefore(lease.retryUntil());
    Instant next = retry ? min(now.plus(backoff(lease.attempt())), lease.retryUntil()) : now;
    return new OutcomeRecorder.Finished(lease, retry ? DeliveryStatus.PENDING : DeliveryStatus.FAILED, next, status,
        outcome.error(), now, recorded);
  }

  /** {@code base * 2^(attempt-1)} capped, then a random point in its upper half. */
  Duration backoff(int attempt) {
    long base = config.retryBase().toMillis();
    long cap = config.retryCap().toMillis();
    int shift = Math.min(Math.max(attempt - 1, 0), 30);
    long delay = base > (cap >> shift) ? cap : Math.min(cap, base << shift);
    long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    return Duration.ofMillis(Math.max(1, jittered));
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /**
   * Stops leasing, lets the attempts under way finish (each within its timeout) and their
   * outcomes be stored, so no lease is left behind.
   */
  @Override
  public void close() {
    open = false;
    wake();
    try {
      loop.join(config.requestTimeout().toMillis() + 1000);
      attempts.shutdown();
      if (!attempts.awaitTermination(config.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
        attempts.shutdownNow();
      }
      outcomes.close();
      poster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      attempts.shutdownNow();
    }
  }
}
