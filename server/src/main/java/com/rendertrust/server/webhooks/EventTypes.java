package com.rendertrust.server.webhooks;

import java.util.List;
import java.util.Set;

/** The event types an endpoint may subscribe to (the job events), and the test event. */
public final class EventTypes {

  /** Every job and task event of the live job events, in their order of the contract. */
  public static final List<String> SUBSCRIBABLE = List.of("job.created", "task.dispatched", "task.started",
      "task.progress", "task.completed", "task.failed", "task.retrying", "job.completed", "job.failed",
      "job.cancelled");

  /** Sent to one endpoint on request, whatever it subscribes to. */
  public static final String TEST = "webhook.test";

  private static final Set<String> KNOWN = Set.copyOf(SUBSCRIBABLE);

  private EventTypes() {
  }

  public static boolean isSubscribable(String type) {
    return KNOWN.contains(type);
  }
}
