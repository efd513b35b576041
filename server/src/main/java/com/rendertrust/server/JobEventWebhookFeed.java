package com.rendertrust.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.rendertrust.server.events.JobEventLog;
import com.rendertrust.server.events.StoredEvent;
import com.rendertrust.server.jobs.JobGrpcService;
import com.rendertrust.server.jobs.JobService;
import com.rendertrust.server.webhooks.JobEventFeed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The job events log as the webhooks' feed: each stored event, with the job as clients see it
 * (the REST Job object) when the delivery is created. The composition root connects the two
 * features here, so neither imports the other. The log only returns events below the point
 * where nothing can still commit late, as the feed requires.
 */
final class JobEventWebhookFeed implements JobEventFeed {

  private static final JsonFormat.Printer JOB_JSON = JsonFormat.printer().preservingProtoFieldNames()
      .alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

  /** How long a read waits for transactions that may still commit events below the horizon. */
  private static final Duration READ_WAIT = Duration.ofSeconds(1);

  private final JobEventLog log;
  private final JobService jobs;

  JobEventWebhookFeed(JobEventLog log, JobService jobs) {
    this.log = log;
    this.jobs = jobs;
  }

  @Override
  public Page readAfter(long cursor, int limit, Set<UUID> owners) {
    JobEventLog.EventBatch batch = log.readAfterOf(owners, cursor, limit, READ_WAIT);
    List<FeedEvent> feed = new ArrayList<>();
    for (StoredEvent event : batch.events()) {
      feed.add(new FeedEvent(event.id(), event.userId(), event.type(), () -> jobJson(event), event.at()));
    }
    return new Page(feed, batch.nextCursor());
  }

  private String jobJson(StoredEvent event) {
    try {
      return JOB_JSON.print(JobGrpcService.toProto(jobs.get(event.userId(), event.jobId().toString())));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the Job message of job " + event.jobId() + " does not print as JSON", e);
    }
  }
}
