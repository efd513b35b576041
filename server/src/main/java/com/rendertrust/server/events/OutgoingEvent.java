package com.rendertrust.server.events;

import java.util.List;
import java.util.function.Function;

/**
 * A committed event on its way to the watches of this replica. The hub wraps each event once
 * and hands the same object to every watch of its job (and its owner), and the replay reader
 * does the same for watches that asked for the same rows; so a sink encodes an event for the
 * wire once ({@link #encoded}), however many watches send it.
 */
final class OutgoingEvent {

  private final StoredEvent event;
  private volatile Object encoded;

  OutgoingEvent(StoredEvent event) {
    this.event = event;
  }

  static List<OutgoingEvent> of(List<StoredEvent> events) {
    return events.stream().map(OutgoingEvent::new).toList();
  }

  StoredEvent event() {
    return event;
  }

  /**
   * The event as {@code encoder} makes it, made by the first caller and kept. Every sink of a
   * replica encodes the same way (one encoder per kind of sink), so one slot is enough; a sink
   * whose encoder differs must not use this.
   */
  @SuppressWarnings("unchecked")
  <T> T encoded(Function<StoredEvent, T> encoder) {
    Object value = encoded;
    if (value == null) {
      value = encoder.apply(event); // two threads may both encode at first: same result, one kept
      encoded = value;
    }
    return (T) value;
  }
}
