package com.rendertrust.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The Redis fan-out message between replicas: several events in one, and the one-event form of older replicas. */
class FanOutMessageTest {

  private static StoredEvent event(long id, int seq, Optional<String> message) {
    return new StoredEvent(id, UUID.randomUUID(), UUID.randomUUID(), seq, "task.progress", Optional.of(UUID.randomUUID()),
        Optional.empty(), "RUNNING", Optional.of(0.25), Optional.of(3), Optional.empty(), message,
        Instant.parse("2026-12-03T18:30:00.123456Z"));
  }

  @Test
  void aMessageCarriesEveryEventWithItsOwnerInOrder() {
    List<StoredEvent> events = List.of(event(41, 1, Optional.of("a \"quoted\" | bar")), event(42, 7, Optional.empty()));

    String message = StoredEvent.toWireJson(events);

    assertThat(StoredEvent.fromWireJson(message)).isEqualTo(events);
  }

  @Test
  void aSingleEventObjectFromAnOlderReplicaIsOneEvent() {
    StoredEvent one = event(43, 2, Optional.empty());
    String array = StoredEvent.toWireJson(List.of(one));
    String object = array.substring(1, array.length() - 1); // what a replica publishing per event sent

    assertThat(StoredEvent.fromWireJson(object)).containsExactly(one);
  }

  @Test
  void somethingElseOnTheChannelIsNoEvent() {
    assertThat(StoredEvent.fromWireJson("not json")).isEmpty();
    assertThat(StoredEvent.fromWireJson("{\"id\":1}")).isEmpty();
    assertThat(StoredEvent.fromWireJson("[]")).isEmpty();
  }
}
