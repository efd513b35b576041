package com.rendertrust.server.webhooks;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The job events table as webhooks read it: events in the order of their global id. The events
 * feature provides the one implementation (an adapter over its table); {@link FeedFollower}
 * follows it with a persisted cursor.
 */
@FunctionalInterface
public interface JobEventFeed {

  /**
   * Up to {@code limit} events of {@code owners} with a global id greater than {@code cursor},
   * ascending, and the cursor to pass next time (past the other owners' events too). An
   * implementation must not return an event, or a cursor past it, while one with a smaller id
   * may still commit (e.g. only events older than a short settle time, or below the oldest open
   * transaction's id), or the follower would pass it.
   */
  Page readAfter(long cursor, int limit, Set<UUID> owners);

  /** One read: the events, and where the next read starts. */
  record Page(List<FeedEvent> events, long nextCursor) {

    public Page {
      events = List.copyOf(events);
    }
  }

  /**
   * One job event: its global id, the job's owner, its type, the job as JSON, and when it
   * happened. The JSON is only made when a delivery needs it: most owners have no endpoint, and
   * reading and printing the job for each of their events would cost more than the event itself.
   */
  record FeedEvent(long id, UUID userId, String type, Supplier<String> jobJson, Instant at) {

    /** An event whose job JSON is already at hand. */
    public FeedEvent(long id, UUID userId, String type, String jobJson, Instant at) {
      this(id, userId, type, () -> jobJson, at);
    }
  }
}
