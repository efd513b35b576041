package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.telemetry.Telemetry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Record3;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the money side of a job's end after the status change committed: capture on
 * COMPLETED (to the operators of the nodes that rendered its tasks, split by {@link TaskWork}),
 * release on FAILED / CANCELLED. A failed billing call leaves
 * the job *_PENDING and the sweeper retries it; billing is idempotent per job, so a retry after
 * an unknown outcome never charges twice.
 */
public final class Settlements {

  private static final Logger log = LoggerFactory.getLogger(Settlements.class);
  private static final int BATCH = 100;

  private final Database database;
  private final JobBilling billing;
  private final Transactions transactions;
  private final Timer duration;
  private final Tracer tracer;

  public Settlements(Database database, JobBilling billing) {
    this(database, billing, Timer.builder("rt.jobs.settlement.duration").register(new SimpleMeterRegistry()),
        OpenTelemetry.noop().getTracer(Telemetry.INSTRUMENTATION));
  }

  /** {@code duration}: each capture or release, ledger transfer included ({@code rt_jobs_settlement_duration_seconds}). */
  public Settlements(Database database, JobBilling billing, Timer duration, Tracer tracer) {
    this.database = database;
    this.billing = billing;
    this.transactions = new Transactions(database.dsl());
    this.duration = duration;
    this.tracer = tracer;
  }

  /**
   * Settles the job if it awaits settlement, in one transaction with the job's row locked (the
   * amount comes from the job's rows, {@link JobCharges}); returns false when billing failed
   * (retried later).
   */
  public boolean settle(UUID jobId) {
    // a span of the job's trace when the caller made its context current (the node's result)
    Span span = tracer.spanBuilder("settle job").setAttribute("job.id", jobId.toString()).startSpan();
    try (Scope scope = span.makeCurrent()) {
      return duration.record(() -> settleNow(jobId));
    } finally {
      span.end();
    }
  }

  private boolean settleNow(UUID jobId) {
    try {
      transactions.inTransaction(tx -> {
        Record3<String, String, UUID> row = tx.select(JOBS.SETTLEMENT, JOBS.STATUS, NODES.OPERATOR_USER_ID)
            .from(JOBS).leftJoin(NODES).on(NODES.ID.eq(JOBS.NODE_ID))
            .where(JOBS.ID.eq(jobId))
            .forUpdate().of(JOBS)
            .fetchOne();
        if (row == null) {
          return null;
        }
        Settlement settlement = Settlement.valueOf(row.value1());
        if (settlement != Settlement.CAPTURE_PENDING && settlement != Settlement.RELEASE_PENDING) {
          return null; // nothing to do: not yet ended, free, or already settled
        }
        boolean completed = JobStatus.valueOf(row.value2()) == JobStatus.COMPLETED;
        Settlement reached = JobCharges.settleWithin(tx, billing, jobId, completed, Optional.ofNullable(row.value3()));
        tx.update(JOBS).set(JOBS.SETTLEMENT, reached.name())
            .where(JOBS.ID.eq(jobId)).execute();
        return reached;
      });
      return true;
    } catch (RuntimeException e) {
      log.warn("settling job {} failed; the sweeper retries it", jobId, e);
      return false;
    }
  }

  /** Retries every settlement still pending since before {@code olderThan}. Returns how many it settled. */
  public int settlePending(Instant olderThan) {
    List<UUID> pending = database.dsl().select(JOBS.ID).from(JOBS)
        .where(JOBS.SETTLEMENT.in(Settlement.CAPTURE_PENDING.name(), Settlement.RELEASE_PENDING.name())
            .and(JOBS.UPDATED_AT.le(Timestamps.toDb(olderThan))))
        .orderBy(JOBS.UPDATED_AT.asc())
        .limit(BATCH)
        .fetch(JOBS.ID);
    int settled = 0;
    for (UUID jobId : pending) {
      if (settle(jobId)) {
        settled++;
      }
    }
    return settled;
  }

}
