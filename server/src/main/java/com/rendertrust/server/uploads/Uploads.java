package com.rendertrust.server.uploads;

import com.rendertrust.server.platform.config.UploadsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.storage.InputStore;
import io.grpc.BindableService;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uploads feature of one replica, wired: the service, the job-input view of it, the gRPC
 * service, and the sweeper of expired PENDING uploads on a timer (every replica sweeps; rows
 * are claimed with SKIP LOCKED, so replicas never remove the same upload twice).
 */
public final class Uploads implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Uploads.class);
  /**
   * A PUT that started just before its URL expired may still be streaming: its upload is swept
   * this long after expiry, so its bytes cannot land after the sweep and be left behind.
   */
  static final Duration SWEEP_GRACE = Duration.ofHours(1);
  private static final int SWEEP_BATCH = 500;

  private final UploadService service;
  private final Inputs inputs;
  private final ScheduledExecutorService timer;

  private Uploads(UploadService service, Inputs inputs, ScheduledExecutorService timer) {
    this.service = service;
    this.inputs = inputs;
    this.timer = timer;
  }

  public static Uploads start(Database database, InputStore store, UploadsConfig config, InputUsage usage,
      Clock clock) {
    UploadService service = new UploadService(database, store, config, usage, clock);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-uploads-sweeper").factory());
    Uploads uploads = new Uploads(service, new Inputs(database, store, config.inputUrlTtl()), timer);
    long period = config.sweepInterval().toMillis();
    timer.scheduleWithFixedDelay(uploads::sweep, period, period, TimeUnit.MILLISECONDS);
    return uploads;
  }

  /** Removes every expired PENDING upload past the grace, with its bytes; how many. */
  public int sweep() {
    int total = 0;
    try {
      int removed;
      do {
        removed = service.sweepExpired(SWEEP_GRACE, SWEEP_BATCH);
        total += removed;
      } while (removed == SWEEP_BATCH);
      if (total > 0) {
        log.info("removed {} expired uploads", total);
      }
    } catch (RuntimeException e) {
      log.warn("the upload sweep failed; retried at the next tick", e);
    }
    return total;
  }

  public UploadService service() {
    return service;
  }

  /** What the jobs feature uses at submission and dispatch. */
  public Inputs inputs() {
    return inputs;
  }

  public BindableService grpcService() {
    return new UploadGrpcService(service);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
