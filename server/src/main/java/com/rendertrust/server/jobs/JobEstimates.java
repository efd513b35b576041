package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.net.InputUrlPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.impl.DSL;

/**
 * Estimates a submission: the same validation as {@link JobService#submit} (400/404/422 alike),
 * then the price, the caller's available credits, the capacity that could take it and the queue
 * ahead of it. Reads only; never 402. The start estimate divides the work ahead by the dispatch
 * rate of the job type over the last {@link #RATE_WINDOW}.
 */
public final class JobEstimates {

  static final Duration RATE_WINDOW = Duration.ofMinutes(10);

  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final JobBilling billing;
  private final JobScheduler scheduler;
  private final JobInputs inputs;
  private final InputUrlPolicy inputUrls;

  public JobEstimates(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      JobInputs inputs) {
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.billing = billing;
    this.scheduler = scheduler;
    this.inputs = inputs;
    this.inputUrls = new InputUrlPolicy(config.allowPrivateInputUrls());
  }

  public Estimate estimate(UUID userId, JobSubmission submission) {
    ValidSubmission valid = SubmissionRules.validate(submission);
    valid.payloadRef().ifPresent(ref -> inputUrls.check("payload_ref", ref));
    RenderFrames frames = RenderFrames.ofSubmission(valid.jobType(), valid.payloadJson(), config.maxFrames());
    long price = Prices.of(config, valid.jobType(), frames.frameCount(), valid.tier());
    return transactions.inTransaction(tx -> {
      valid.inputId().ifPresent(input -> inputs.requireReady(tx, userId, input));
      if (!scheduler.anyHealthyNodeFor(tx, valid.jobType(), valid.gpuRequired())) {
        throw new DomainException(Reason.NO_HEALTHY_NODE, "no healthy node offers job type '" + valid.jobType() + "'"
            + (valid.gpuRequired() ? " with a GPU" : ""));
      }
      long available = billing.availableWithin(tx, userId);
      Condition eligible = JobScheduler.eligibleIgnoringSlots(valid.jobType(), valid.gpuRequired());
      var capacity = tx.select(DSL.count(), DSL.coalesce(DSL.sum(NODES.SLOTS.minus(NODES.ACTIVE_JOBS)), DSL.inline(0)))
          .from(NODES).where(eligible).fetchSingle();
      int eligibleNodes = capacity.value1();
      int freeSlots = capacity.value2().intValue();
      int queuedAhead = tx.fetchCount(JOB_TASKS, JOB_TASKS.STATUS.eq(JobStatus.QUEUED.name())
          .and(JOB_TASKS.JOB_TYPE.eq(valid.jobType()))
          .and(DSL.row(JOB_TASKS.TIER_RANK, JOB_TASKS.PRIORITY_RANK)
              .ge(DSL.row(DSL.val(valid.tier().rank()), DSL.val(valid.priority().rank())))));
      OptionalLong start = OptionalLong.of(0);
      if (freeSlots <= queuedAhead) {
        int dispatched = tx.fetchCount(JOB_ASSIGNMENTS.join(JOB_TASKS).on(JOB_TASKS.ID.eq(JOB_ASSIGNMENTS.TASK_ID)),
            JOB_TASKS.JOB_TYPE.eq(valid.jobType())
                .and(JOB_ASSIGNMENTS.CREATED_AT.ge(Timestamps.toDb(clock.instant().minus(RATE_WINDOW)))));
        start = dispatched == 0 ? OptionalLong.empty()
            : OptionalLong.of(Math.ceilDiv((long) (queuedAhead - freeSlots + 1) * RATE_WINDOW.toSeconds(), dispatched));
      }
      return new Estimate(valid.jobType(), valid.tier(), frames.frameCount(), frames.taskCount(), price, available,
          eligibleNodes, freeSlots, queuedAhead, start);
    });
  }
}
