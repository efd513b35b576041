package com.rendertrust.server.webhooks;

import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.webhooks.Delivery.DeliveryStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the outcomes of attempts in batches (group commit). An attempt hands its outcome over
 * and is done; one writer thread takes everything that finished since its last write and
 * records it with one set-based statement ({@link DeliveryRows#finishAll}), each row still
 * fenced by its attempt number, so a replica never overwrites an attempt another replica leased
 * since. While one batch is written the next one gathers, so under load a delivery costs a
 * fraction of a round trip instead of a transaction of its own.
 *
 * <p>Only when a batch holds failures, or successes of an endpoint that was failing, does the
 * batch run as a transaction with the endpoint's bookkeeping (failing since, disabling after
 * {@code disableAfter}). If a write fails, its outcomes are lost and their leases run out: the
 * deliveries are attempted again (at least once).
 */
final class OutcomeRecorder implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutcomeRecorder.class);
  static final int MAX_BATCH = 500;

  /**
   * One attempt's outcome as it is to be stored; {@code done} runs once it was written (or
   * given up on).
   */
  record Finished(Lease lease, DeliveryStatus status, Instant nextAttemptAt, Integer responseStatus, String error,
      Instant at, Runnable done) {
  }

  private final Transactions transactions;
  private final Duration disableAfter;
  private final LinkedBlockingQueue<Finished> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean open = true;

  OutcomeRecorder(DSLContext dsl, Duration disableAfter) {
    this.transactions = new Transactions(dsl);
    this.disableAfter = disableAfter;
    this.writer = Thread.ofPlatform().daemon().name("rt-webhook-outcomes").unstarted(this::run);
  }

  OutcomeRecorder start() {
    writer.start();
    return this;
  }

  void add(Finished finished) {
    queue.add(finished);
  }

  private void run() {
    List<Finished> batch = new ArrayList<>();
    while (open || !queue.isEmpty()) {
      try {
        Finished first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        write(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("recording {} webhook attempt outcomes failed; their leases run out and they are attempted again",
            batch.size(), e);
      } finally {
        batch.forEach(finished -> finished.done().run());
        batch.clear();
      }
    }
  }

  private void write(List<Finished> batch) {
    boolean bookkeeping = batch.stream().anyMatch(f -> f.status() != DeliveryStatus.SUCCEEDED
        || f.lease().endpoint().failingSince().isPresent());
    if (!bookkeeping) {
      transactions.singleStatement(tx -> DeliveryRows.finishAll(tx, batch));
      return;
    }
    transactions.inTransaction(tx -> {
      Set<UUID> recorded = DeliveryRows.finishAll(tx, batch);
      endpoints(tx, batch, recorded);
      return null;
    });
  }

  /**
   * Per endpoint, in the order its attempts finished: a success ends its failing streak; if its
   * last outcome is a failure it is failing (since now unless it already was), and disabled when
   * that has lasted {@code disableAfter}.
   */
  private void endpoints(DSLContext tx, List<Finished> batch, Set<UUID> recorded) {
    Map<UUID, List<Finished>> byEndpoint = new LinkedHashMap<>();
    for (Finished finished : batch) {
      if (recorded.contains(finished.lease().deliveryId())) {
        byEndpoint.computeIfAbsent(finished.lease().endpoint().id(), id -> new ArrayList<>()).add(finished);
      }
    }
    byEndpoint.forEach((endpoint, outcomes) -> {
      boolean anySuccess = outcomes.stream().anyMatch(f -> f.status() == DeliveryStatus.SUCCEEDED);
      boolean mayBeFailing = outcomes.stream().anyMatch(f -> f.status() != DeliveryStatus.SUCCEEDED
          || f.lease().endpoint().failingSince().isPresent());
      if (anySuccess && mayBeFailing) {
        EndpointRows.succeeded(tx, endpoint);
      }
      Finished last = outcomes.get(outcomes.size() - 1);
      if (last.status() != DeliveryStatus.SUCCEEDED) {
        Instant now = last.at();
        if (EndpointRows.failed(tx, endpoint, now, now.minus(disableAfter))) {
          log.info("webhook endpoint {} failed for {} without a success: disabled", endpoint, disableAfter);
          DeliveryRows.failPending(tx, endpoint, "endpoint disabled after failing for " + disableAfter, now);
        }
      }
    });
  }

  /** Writes what is queued, then stops. */
  @Override
  public void close() {
    open = false;
    try {
      writer.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
