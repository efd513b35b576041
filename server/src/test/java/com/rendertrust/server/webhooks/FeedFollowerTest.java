package com.rendertrust.server.webhooks;

import static com.rendertrust.server.webhooks.WebhookDeliveryTest.await;
import static com.rendertrust.server.webhooks.WebhookDeliveryTest.createEndpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The follower of the job events feed, on two replicas at once. The feed here is a list standing
 * in for the job events table, whose adapter the events feature provides (JobEventFeed is the
 * whole contract between the two).
 */
class FeedFollowerTest {

  /** Events in id order, as the events table would return them. */
  private static final class ListFeed implements JobEventFeed {
    private final List<FeedEvent> events = new CopyOnWriteArrayList<>();

    /** The owners each read asked for: the follower names only those with an endpoint. */
    private final List<Set<UUID>> askedFor = new CopyOnWriteArrayList<>();

    @Override
    public Page readAfter(long cursor, int limit, Set<UUID> owners) {
      askedFor.add(Set.copyOf(owners));
      List<FeedEvent> present = List.copyOf(events); // the horizon: what was there when the read began
      List<FeedEvent> read = present.stream().filter(event -> event.id() > cursor && owners.contains(event.userId()))
          .sorted(Comparator.comparingLong(FeedEvent::id)).limit(limit).toList();
      long horizon = present.stream().mapToLong(FeedEvent::id).max().orElse(cursor);
      return new Page(read, read.size() == limit ? read.getLast().id() : Math.max(cursor, horizon));
    }
  }

  @Test
  void twoReplicasFollowingOneFeedDeliverEachSubscribedEventOnceAndPersistTheCursorAndSkipOwnersWithoutEndpoints() {
    ServerConfig config = WebhookDeliveryTest.config();
    ListFeed feed = new ListFeed();
    try (TestServer a = TestServer.start(config);
         TestServer b = TestServer.start(config);
         TestReceiver receiver = TestReceiver.accepting(0)) {
      UUID user = UUID.randomUUID();
      UUID stranger = UUID.randomUUID();
      JsonNode created = createEndpoint(a, user, receiver.url(), "[\"job.completed\",\"task.progress\"]");
      receiver.trust(created.get("secret").asText());
      FeedFollower onA = a.controlPlane().webhooks().follow(feed, 0, Duration.ofMillis(50));
      b.controlPlane().webhooks().follow(feed, 0, Duration.ofMillis(50));
      AtomicInteger strangerJobsRead = new AtomicInteger();
      int subscribed = 0;
      for (long id = 1; id <= 120; id++) {
        String type = id % 4 == 0 ? "job.created" : id % 2 == 0 ? "task.progress" : "job.completed";
        UUID owner = id % 10 == 0 ? stranger : user;
        if (owner.equals(user) && !type.equals("job.created")) {
          subscribed++;
        }
        String json = "{\"id\":\"job-" + id + "\"}";
        feed.events.add(owner.equals(user)
            ? new JobEventFeed.FeedEvent(id, owner, type, json, Instant.now())
            : new JobEventFeed.FeedEvent(id, owner, type, () -> {
              strangerJobsRead.incrementAndGet();
              return json;
            }, Instant.now()));
      }
      int expected = subscribed;
      await(() -> receiver.accepted().size() == expected, "every subscribed event");
      await(() -> onA.position() == 120, "the cursor at the last event");
      assertThat(receiver.accepted().values()).as("each event once").containsOnly(1);
      assertThat(receiver.received()).hasSize(expected).allMatch(TestReceiver.Received::verified);
      assertThat(strangerJobsRead).as("the job of an owner without endpoints is never read").hasValue(0);
      assertThat(feed.askedFor).as("only the owners with an endpoint are read").isNotEmpty()
          .allMatch(owners -> owners.equals(Set.of(user)));
    }
  }
}
