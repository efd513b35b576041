package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.errors.DomainException;

/** Scheduling priority: the queue is FIFO within a priority, higher priorities first. */
public enum Priority {
  LOW("low", 0),
  NORMAL("normal", 1),
  HIGH("high", 2);

  private final String wireName;
  private final short rank;

  Priority(String wireName, int rank) {
    this.wireName = wireName;
    this.rank = (short) rank;
  }

  public String wireName() {
    return wireName;
  }

  public short rank() {
    return rank;
  }

  /** "low" | "normal" | "high"; empty means normal; anything else is 422. */
  public static Priority parse(String text) {
    if (text == null || text.isEmpty()) {
      return NORMAL;
    }
    for (Priority priority : values()) {
      if (priority.wireName.equals(text)) {
        return priority;
      }
    }
    throw DomainException.validation("priority must be \"low\", \"normal\" or \"high\"");
  }

  public static Priority fromWireName(String text) {
    for (Priority priority : values()) {
      if (priority.wireName.equals(text)) {
        return priority;
      }
    }
    throw new IllegalArgumentException("unknown priority " + text);
  }
}
