package com.rendertrust.server.webhooks;

import static com.rendertrust.server.db.Tables.WEBHOOK_DELIVERIES;

import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.platform.net.InputUrlPolicy;
import io.grpc.BindableService;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;
import org.jooq.DSLContext;

/**
 * The webhooks feature of one replica, wired: the service (also the {@link JobEventSink} job
 * events enter through), its gRPC service, and the delivery worker. Every replica runs a worker;
 * the outbox's leases keep them from making the same attempt twice.
 */
public final class Webhooks implements AutoCloseable {

  /** The cursor name of the follower of the job events table. */
  public static final String JOB_EVENTS_FEED = "job_events";

  private final DSLContext dsl;
  private final WebhookService service;
  private final DeliveryWorker worker;
  private final Clock clock;
  private final List<FeedFollower> followers = new ArrayList<>();

  private Webhooks(DSLContext dsl, WebhookService service, DeliveryWorker worker, Clock clock) {
    this.dsl = dsl;
    this.service = service;
    this.worker = worker;
    this.clock = clock;
  }

  public static Webhooks start(DSLContext dsl, WebhooksConfig config, Clock clock) {
    return start(dsl, config, clock, InetAddress::getAllByName);
  }

  static Webhooks start(DSLContext dsl, WebhooksConfig config, Clock clock, InputUrlPolicy.HostResolver resolver) {
    WebhookUrls urls = new WebhookUrls(config.allowHttp(), config.allowPrivate(), resolver);
    PinnedPoster poster = new PinnedPoster(urls, (SSLSocketFactory) SSLSocketFactory.getDefault(),
        config.requestTimeout(), config.concurrency());
    DeliveryWorker worker = new DeliveryWorker(dsl, poster, config, clock);
    WebhookService service = new WebhookService(dsl, urls, config, clock, worker::wake);
    worker.start();
    return new Webhooks(dsl, service, worker, clock);
  }

  /**
   * Follows {@code feed} (the job events table, once the events feature provides the adapter)
   * into this feature every {@code interval}; the cursor starts at {@code start} (e.g. the
   * newest id, so history is not replayed) the first time and persists after that.
   */
  public FeedFollower follow(JobEventFeed feed, long start, Duration interval) {
    FeedFollower follower = new FeedFollower(JOB_EVENTS_FEED, dsl, feed, service, clock, 500).start(start, interval);
    followers.add(follower);
    return follower;
  }

  public WebhookService service() {
    return service;
  }

  /** Where job events enter (the events feature calls it, or a {@link FeedFollower}). */
  /** Deliveries waiting to be sent (PENDING), for the {@code rt_webhooks_backlog} gauge. */
  public long pendingDeliveries() {
    return dsl.fetchCount(WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES.STATUS.eq("PENDING"));
  }

  public JobEventSink sink() {
    return service;
  }

  public BindableService grpcService() {
    return new WebhookEndpointGrpcService(service);
  }

  @Override
  public void close() {
    followers.forEach(FeedFollower::close);
    worker.close();
  }
}
