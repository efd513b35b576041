package com.rendertrust.server.webhooks;

import java.time.Instant;
import java.util.UUID;

/**
 * The one way job events reach webhooks: the events feature (or a {@link FeedFollower} over its
 * table) hands each event over with its global id. Handing the same event over again is a
 * no-op, so a source may deliver at least once.
 */
@FunctionalInterface
public interface JobEventSink {

  /**
   * @param userId the job's owner, whose endpoints may receive it
   * @param eventType e.g. "job.completed" (see {@link EventTypes#SUBSCRIBABLE})
   * @param jobJson the job as its JSON object, sent as {@code data.job}
   * @param sourceEventId the event's global id in the job events table
   * @param at when the event happened
   */
  void onJobEvent(UUID userId, String eventType, String jobJson, long sourceEventId, Instant at);
}
