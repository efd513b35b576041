package com.rendertrust.server.webhooks;

import static com.rendertrust.server.db.Tables.WEBHOOK_FEED_CURSORS;

import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a {@link JobEventFeed} with a cursor persisted in {@code webhook_feed_cursors} and
 * hands each event to the {@link JobEventSink}. One step runs in one transaction that holds the
 * cursor's advisory lock (tried, not waited for: while one replica advances, the others skip the
 * step), so the events and the new position commit together; a crash in between repeats a
 * step, which the sink ignores (it stores each source event once).
 */
public final class FeedFollower implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FeedFollower.class);
  /** The first key of the (class, hash of the cursor's name) advisory lock that one step holds. */
  private static final int FEED_LOCK_CLASS = 0x52545746;

  private final String name;
  private final DSLContext dsl;
  private final Transactions transactions;
  private final JobEventFeed feed;
  private final WebhookService sink;
  private final Clock clock;
  private final int batch;
  private ScheduledExecutorService timer;

  FeedFollower(String name, DSLContext dsl, JobEventFeed feed, WebhookService sink, Clock clock, int batch) {
    this.name = name;
    this.dsl = dsl;
    this.transactions = new Transactions(dsl);
    this.feed = feed;
    this.sink = sink;
    this.clock = clock;
    this.batch = batch;
  }

  /** Starts following every {@code interval}; the cursor starts at {@code start} the first time. */
  FeedFollower start(long start, Duration interval) {
    dsl.insertInto(WEBHOOK_FEED_CURSORS)
        .set(WEBHOOK_FEED_CURSORS.NAME, name)
        .set(WEBHOOK_FEED_CURSORS.POSITION, start)
        .set(WEBHOOK_FEED_CURSORS.UPDATED_AT, Timestamps.toDb(clock.instant()))
        .onConflictDoNothing()
        .execute();
    timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("rt-webhook-feed").factory());
    timer.scheduleWithFixedDelay(this::drain, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void drain() {
    try {
      int handed;
      do {
        handed = step();
        if (handed > 0) {
          sink.wakeDeliveries();
        }
      } while (handed == batch);
    } catch (RuntimeException e) {
      log.warn("following the job event feed failed; retried at the next tick", e);
    }
  }

  /** One batch: how many events were handed to the sink (0 when another replica holds the cursor). */
  int step() {
    return transactions.inTransaction(tx -> {
      // Not a row lock on the cursor: that would give this transaction an id before the feed's
      // read, and the feed waits for every transaction older than its horizon to end (this one too,
      // which waits for the read): no event would ever pass. An advisory lock takes no id.
      if (!tx.fetchSingle("SELECT pg_try_advisory_xact_lock(?, hashtext(?))", FEED_LOCK_CLASS, name)
          .get(0, Boolean.class)) {
        return 0;
      }
      Long position = tx.select(WEBHOOK_FEED_CURSORS.POSITION).from(WEBHOOK_FEED_CURSORS)
          .where(WEBHOOK_FEED_CURSORS.NAME.eq(name))
          .fetchOne(WEBHOOK_FEED_CURSORS.POSITION);
      if (position == null) {
        return 0;
      }
      // Only the events of owners with an endpoint are read: the feed skips the others (most
      // owners have none) in the database, and its next cursor passes them.
      JobEventFeed.Page page = feed.readAfter(position, batch, sink.ownersWithEndpoints(tx));
      for (JobEventFeed.FeedEvent event : page.events()) {
        sink.onJobEvent(tx, event.userId(), event.type(), event.jobJson(), event.id(), event.at());
      }
      long last = Math.max(position, page.nextCursor());
      if (last != position) {
        tx.update(WEBHOOK_FEED_CURSORS)
            .set(WEBHOOK_FEED_CURSORS.POSITION, last)
            .set(WEBHOOK_FEED_CURSORS.UPDATED_AT, Timestamps.toDb(clock.instant()))
            .where(WEBHOOK_FEED_CURSORS.NAME.eq(name))
            .execute();
      }
      return page.events().size();
    });
  }

  /** Where the cursor stands. */
  long position() {
    Long position = dsl.select(WEBHOOK_FEED_CURSORS.POSITION).from(WEBHOOK_FEED_CURSORS)
        .where(WEBHOOK_FEED_CURSORS.NAME.eq(name)).fetchOne(WEBHOOK_FEED_CURSORS.POSITION);
    return position == null ? 0 : position;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
      try {
        // a step in flight ends before the database it uses closes (the composition root closes that next)
        if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("the job event feed's follower did not stop within 5 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
