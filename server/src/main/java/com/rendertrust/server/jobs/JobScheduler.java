package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Record3;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Decides which node runs which job, with PostgreSQL as the only source of truth so that any
 * replica may decide: a slot is claimed by a conditional {@code UPDATE nodes SET active_jobs =
 * active_jobs + 1 ... WHERE active_jobs < slots}, queued jobs are taken with {@code FOR UPDATE
 * SKIP LOCKED}, and the job's assignment is written in the same transaction. The node learns
 * of it through {@link NodeNotifier} after the commit.
 *
 * <p>A node is eligible when it is HEALTHY, has proven its key, holds an open stream, advertises
 * the job type (and a GPU if required) and has a free slot; among those the least loaded wins
 * (active jobs per slot, then the load it reports, then id).
 */
public final class JobScheduler {

  static final List<String> SCHEDULABLE_SETTLEMENTS = List.of(Settlement.NONE.name(), Settlement.HELD.name());
  private static final int CLAIM_ATTEMPTS = 5;
  private static final int QUEUE_BATCH = 200;

  private final Database database;
  /** Every transaction here may meet a deadlock or serialization failure under load: retried. */
  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final NodeNotifier notifier;
  private final CoalescingTask queuePass;

  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.notifier = notifier;
    this.queuePass = new CoalescingTask("queue pass", executor, this::assignQueued);
  }

  /** True when a HEALTHY, verified node advertises the job type (busy or not, connected or not). */
  boolean anyHealthyNodeFor(DSLContext tx, String jobType, boolean gpuRequired) {
    Condition condition = NODES.STATUS.eq("HEALTHY").and(NODES.VERIFIED.isTrue()).and(offers(jobType));
    if (gpuRequired) {
      condition = condition.and(NODES.HAS_GPU.isTrue());
    }
    return tx.fetchExists(NODES, condition);
  }

  /**
   * Within {@code tx}: takes a slot on the least-loaded eligible node, or empty when none has
   * one. The claim re-checks eligibility in its UPDATE, so two replicas never overfill a node.
   */
  Optional<UUID> claimSlot(DSLContext tx, String jobType, boolean gpuRequired) {
    return claim(tx, eligible(jobType, gpuRequired), DSL.noCondition());
  }

  /**
   * Within {@code tx}: a slot for a new submission, unless older queued work of its type at its
   * priority or higher waits; the new job then queues behind it instead of overtaking it (FIFO
   * within priority). Empty when it must queue.
   */
  Optional<UUID> claimSlotUnlessQueued(DSLContext tx, String jobType, boolean gpuRequired, short rank) {
    Condition queueAhead = DSL.exists(DSL.selectOne().from(JOBS).where(JOBS.STATUS.eq(JobStatus.QUEUED.name())
        .and(JOBS.JOB_TYPE.eq(jobType))
        .and(JOBS.PRIORITY_RANK.ge(rank))
        .and(JOBS.SETTLEMENT.in(SCHEDULABLE_SETTLEMENTS))));
    return claim(tx, eligible(jobType, gpuRequired), DSL.not(queueAhead));
  }

  /**
   * Picks the least-loaded node matching {@code eligible} and {@code pick}, and claims its slot,
   * in one statement. A concurrent claim may fill the node between the pick and the update (the
   * update re-checks {@code eligible} on the row it locked): then it picks again.
   */
  private static Optional<UUID> claim(DSLContext tx, Condition eligible, Condition pick) {
    var candidate = DSL.select(NODES.ID).from(NODES)
        .where(eligible.and(pick))
        .orderBy(NODES.ACTIVE_JOBS.cast(SQLDataType.DOUBLE).div(NODES.SLOTS).asc(),
            NODES.CURRENT_LOAD.asc(), NODES.ID.asc())
        .limit(1);
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      Record picked = tx.fetchSingle("""
              WITH candidate AS ({0}),
                   claimed AS (UPDATE {1} SET {2} = {2} + 1 WHERE {3} IN (SELECT id FROM candidate) AND {4}
                               RETURNING {3})
              SELECT (SELECT id FROM candidate), (SELECT id FROM claimed)""",
          candidate, NODES, NODES.ACTIVE_JOBS.getUnqualifiedName(), NODES.ID, eligible);
      if (picked.get(0) == null) {
        return Optional.empty();
      }
      if (picked.get(1) != null) {
        return Optional.of(picked.get(1, UUID.class));
      }
    }
    return Optional.empty();
  }

  /** Within {@code tx}: hands the QUEUED job to {@code nodeId} (whose slot is already claimed). */
  UUID assign(DSLContext tx, UUID jobId, UUID nodeId, String jobType) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    UUID assignmentId = UUID.randomUUID();
    int updated = tx.update(JOBS)
        .set(JOBS.STATUS, JobStatus.DISPATCHED.name())
        .set(JOBS.NODE_ID, nodeId)
        .set(JOBS.ASSIGNMENT_ID, assignmentId)
        .set(JOBS.DISPATCHED_AT, now)
        .setNull(JOBS.STARTED_AT)
        .set(JOBS.DEADLINE, now.plus(config.maxRuntimes().forType(jobType)))
        .set(JOBS.UPDATED_AT, now)
        .where(JOBS.ID.eq(jobId).and(JOBS.STATUS.eq(JobStatus.QUEUED.name())))
        .execute();
    if (updated != 1) {
      throw new IllegalStateException("job " + jobId + " was not QUEUED when assigned");
    }
    tx.insertInto(JOB_ASSIGNMENTS)
        .set(JOB_ASSIGNMENTS.ID, assignmentId)
        .set(JOB_ASSIGNMENTS.JOB_ID, jobId)
        .set(JOB_ASSIGNMENTS.NODE_ID, nodeId)
        .set(JOB_ASSIGNMENTS.CREATED_AT, now)
        .execute();
    return assignmentId;
  }

  /** Asks for a queue pass soon, on another thread; bursts of requests collapse into one pass. */
  public void requestQueuePass() {
    queuePass.request();
  }

  /**
   * Dispatches queued jobs, highest priority and oldest first, to eligible nodes until no more
   * fit. Safe on every replica at once (each locks different jobs). Returns how many it assigned.
   */
  public int assignQueued() {
    int total = 0;
    while (true) {
      List<UUID> woken = new ArrayList<>();
      int[] seen = new int[1];
      int assigned = transactions.transactionResult(cfg -> {
        woken.clear(); // a retried attempt starts over
        DSLContext tx = cfg.dsl();
        List<Record3<UUID, String, Boolean>> queued = tx
            .select(JOBS.ID, JOBS.JOB_TYPE, JOBS.GPU_REQUIRED).from(JOBS)
            .where(JOBS.STATUS.eq(JobStatus.QUEUED.name()).and(JOBS.SETTLEMENT.in(SCHEDULABLE_SETTLEMENTS)))
            .orderBy(JOBS.PRIORITY_RANK.desc(), JOBS.QUEUED_AT.asc(), JOBS.ID.asc())
            .limit(QUEUE_BATCH)
            .forUpdate().skipLocked()
            .fetch();
        seen[0] = queued.size();
        Set<String> saturated = new HashSet<>();
        int count = 0;
        for (Record3<UUID, String, Boolean> job : queued) {
          String kind = job.value2() + (job.value3() ? "+gpu" : "");
          if (saturated.contains(kind)) {
            continue;
          }
          Optional<UUID> node = claimSlot(tx, job.value2(), job.value3());
          if (node.isEmpty()) {
            saturated.add(kind);
            continue;
          }
          assign(tx, job.value1(), node.get(), job.value2());
          woken.add(node.get());
          count++;
        }
        return count;
      });
      woken.stream().distinct().forEach(notifier::jobsChanged);
      total += assigned;
      if (assigned == 0 || seen[0] < QUEUE_BATCH) {
        return total;
      }
    }
  }

  /**
   * Fills {@code nodeId}'s free slots from the queue (its job types only), e.g. right after it
   * finished a job or connected. Returns how many jobs it assigned; the caller notifies the node.
   */
  public int assignQueuedTo(UUID nodeId) {
    return transactions.transactionResult(cfg -> assignQueuedTo(cfg.dsl(), nodeId));
  }

  /** {@link #assignQueuedTo(UUID)} within {@code tx}. */
  int assignQueuedTo(DSLContext tx, UUID nodeId) {
    NodeCapacity node = tx.select(NODES.STATUS, NODES.VERIFIED, NODES.STREAM_SESSION, NODES.SLOTS, NODES.ACTIVE_JOBS,
            NODES.CAPABILITIES, NODES.HAS_GPU)
        .from(NODES).where(NODES.ID.eq(nodeId))
        .fetchOptional()
        .map(NodeCapacity::of)
        .orElse(NodeCapacity.NONE);
    return assignQueuedTo(tx, nodeId, node);
  }

  /** Within {@code tx}, which just read {@code node}'s capacity (e.g. freeing a slot): fills its free slots. */
  int assignQueuedTo(DSLContext tx, UUID nodeId, NodeCapacity node) {
    if (node.freeSlots() == 0) {
      return 0;
    }
    Condition fits = JOBS.STATUS.eq(JobStatus.QUEUED.name())
        .and(JOBS.SETTLEMENT.in(SCHEDULABLE_SETTLEMENTS))
        .and(JOBS.JOB_TYPE.in(node.capabilities()));
    if (!node.hasGpu()) {
      fits = fits.and(JOBS.GPU_REQUIRED.isFalse());
    }
    List<Record3<UUID, String, Boolean>> queued = tx
        .select(JOBS.ID, JOBS.JOB_TYPE, JOBS.GPU_REQUIRED).from(JOBS)
        .where(fits)
        .orderBy(JOBS.PRIORITY_RANK.desc(), JOBS.QUEUED_AT.asc(), JOBS.ID.asc())
        .limit(node.freeSlots())
        .forUpdate().skipLocked()
        .fetch();
    int count = 0;
    for (Record3<UUID, String, Boolean> job : queued) {
      if (!claimOn(tx, nodeId, eligible(job.value2(), job.value3()))) {
        break;
      }
      assign(tx, job.value1(), nodeId, job.value2());
      count++;
    }
    return count;
  }

  private static boolean claimOn(DSLContext tx, UUID nodeId, Condition eligible) {
    return tx.update(NODES)
        .set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.plus(1))
        .where(NODES.ID.eq(nodeId).and(eligible))
        .execute() == 1;
  }

  static Condition eligible(String jobType, boolean gpuRequired) {
    Condition condition = NODES.STATUS.eq("HEALTHY")
        .and(NODES.VERIFIED.isTrue())
        .and(NODES.STREAM_SESSION.isNotNull())
        .and(NODES.ACTIVE_JOBS.lt(NODES.SLOTS))
        .and(offers(jobType));
    return gpuRequired ? condition.and(NODES.HAS_GPU.isTrue()) : condition;
  }

  private static Condition offers(String jobType) {
    return DSL.val(jobType).eq(DSL.any(NODES.CAPABILITIES));
  }
}
