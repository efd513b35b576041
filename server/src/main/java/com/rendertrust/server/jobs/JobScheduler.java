package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.jobs.JobTaskStore.Placement;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record4;
import org.jooq.impl.DSL;

/**
 * Decides which node runs which task, with PostgreSQL as the only source of truth so that any
 * replica may decide: slots are claimed by conditional updates of {@code nodes} ({@link
 * SlotClaims}), queued tasks are taken with {@code FOR UPDATE SKIP LOCKED} together with their
 * job's row (so a pass never waits for a job another transaction is changing), and the
 * assignments are written in the same transaction. The node learns of them through {@link
 * NodeNotifier} after the commit.
 *
 * <p>A node is eligible when it is HEALTHY, has proven its key, holds an open stream, advertises
 * the job type (and a GPU if required) and has a free slot; among those the least loaded wins
 * (active tasks per slot, then the load it reports, then id).
 */
public final class JobScheduler {

  private static final int QUEUE_BATCH = 200;

  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final NodeNotifier notifier;
  private final CoalescingTask queuePass;
  private final Timer dispatchLatency;

  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor) {
    this(database, config, clock, notifier, executor, Timer.builder("rt.jobs.dispatch.latency")
        .register(new SimpleMeterRegistry()));
  }

  /**
   * {@code dispatchLatency}: how long each task a queue pass dispatches had waited in the queue
   * ({@code rt_jobs_dispatch_latency_seconds}).
   */
  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor,
      Timer dispatchLatency) {
    this.dispatchLatency = dispatchLatency;
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
   * Within {@code tx}: up to {@code count} slots for the tasks of a new submission, least-loaded
   * first, unless older queued work of its type at its priority or higher waits; the new tasks
   * then queue behind it instead of overtaking it (FIFO within priority). Empty when they queue.
   */
  List<UUID> claimSlotsUnlessQueued(DSLContext tx, String jobType, boolean gpuRequired, short rank, int count) {
    Condition queueAhead = DSL.exists(DSL.selectOne().from(JOB_TASKS).where(
        JOB_TASKS.STATUS.eq(JobStatus.QUEUED.name())
            .and(JOB_TASKS.JOB_TYPE.eq(jobType))
            .and(JOB_TASKS.PRIORITY_RANK.ge(rank))));
    return SlotClaims.claim(tx, eligibleIgnoringSlots(jobType, gpuRequired), DSL.not(queueAhead), count);
  }

  long maxRuntimeMillis(String jobType) {
    return config.maxRuntimes().forType(jobType).toMillis();
  }

  /** Asks for a queue pass soon, on another thread; bursts of requests collapse into one pass. */
  public void requestQueuePass() {
    queuePass.request();
  }

  /**
   * Dispatches queued tasks, highest priority and oldest first, to eligible nodes until no more
   * fit. Safe on every replica at once (each locks different tasks). Returns how many it assigned.
   */
  public int assignQueued() {
    int total = 0;
    while (true) {
      List<Placement> placed = new ArrayList<>();
      int[] seen = new int[1];
      transactions.transactionResult(cfg -> {
        placed.clear(); // a retried attempt starts over
        DSLContext tx = cfg.dsl();
        var queued = lockQueued(tx, JOB_TASKS.STATUS.eq(JobStatus.QUEUED.name()), QUEUE_BATCH);
        seen[0] = queued.size();
        // one claim per kind of task (type, GPU), kinds in the order the queue first names them
        Map<String, List<Record4<UUID, UUID, String, Boolean>>> byKind = new LinkedHashMap<>();
        for (var task : queued) {
          byKind.computeIfAbsent(task.value3() + (task.value4() ? "+gpu" : ""), kind -> new ArrayList<>()).add(task);
        }
        for (var tasks : byKind.values()) {
          var first = tasks.get(0);
          List<UUID> nodes = SlotClaims.claim(tx, eligibleIgnoringSlots(first.value3(), first.value4()),
              DSL.noCondition(), tasks.size());
          for (int i = 0; i < nodes.size(); i++) {
            placed.add(placement(tasks.get(i), nodes.get(i)));
          }
        }
        OffsetDateTime now = Timestamps.toDb(clock.instant());
        recordWaits(JobTaskStore.dispatch(tx, placed, now), now);
        return placed.size();
      });
      placed.stream().map(Placement::nodeId).distinct().forEach(notifier::jobsChanged);
      total += placed.size();
      if (placed.isEmpty() || seen[0] < QUEUE_BATCH) {
        return total;
      }
    }
  }

  /**
   * Fills {@code nodeId}'s free slots from the queue (its job types only), e.g. right after it
   * finished a task or connected. Returns how many tasks it assigned; the caller notifies the node.
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
    Condition fits = JOB_TASKS.STATUS.eq(JobStatus.QUEUED.name()).and(JOB_TASKS.JOB_TYPE.in(node.capabilities()));
    if (!node.hasGpu()) {
      fits = fits.and(JOB_TASKS.GPU_REQUIRED.isFalse());
    }
    var queued = lockQueued(tx, fits, node.freeSlots());
    if (queued.isEmpty()) {
      return 0;
    }
    int taking = queued.size();
    // the capacity read may be stale by now: fall back to as many as still fit
    while (taking > 0 && !SlotClaims.claimOn(tx, nodeId, ready(), taking)) {
      taking--;
    }
    List<Placement> placed = new ArrayList<>();
    for (int i = 0; i < taking; i++) {
      placed.add(placement(queued.get(i), nodeId));
    }
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    recordWaits(JobTaskStore.dispatch(tx, placed, now), now);
    return placed.size();
  }

  /** Queue waits, recorded when the pass runs (a rolled-back attempt may count twice; rare, and harmless here). */
  private void recordWaits(List<OffsetDateTime> queuedAt, OffsetDateTime now) {
    for (OffsetDateTime queued : queuedAt) {
      dispatchLatency.record(Duration.between(queued, now).abs());
    }
  }

  private Placement placement(Record4<UUID, UUID, String, Boolean> task, UUID nodeId) {
    return new Placement(task.value1(), task.value2(), nodeId, UUID.randomUUID(), maxRuntimeMillis(task.value3()));
  }

  /** Queued tasks matching {@code condition}, queue order, locked with their jobs; locked ones are skipped. */
  private static List<Record4<UUID, UUID, String, Boolean>> lockQueued(DSLContext tx, Condition condition, int limit) {
    return tx.select(JOB_TASKS.ID, JOB_TASKS.JOB_ID, JOB_TASKS.JOB_TYPE, JOB_TASKS.GPU_REQUIRED)
        .from(JOB_TASKS).join(JOBS).on(JOBS.ID.eq(JOB_TASKS.JOB_ID))
        .where(condition)
        .orderBy(JOB_TASKS.PRIORITY_RANK.desc(), JOB_TASKS.QUEUED_AT.asc(), JOB_TASKS.JOB_ID.asc(),
            JOB_TASKS.TASK_INDEX.asc())
        .limit(limit)
        .forUpdate().of(JOB_TASKS, JOBS).skipLocked()
        .fetch();
  }

  /** Eligible for a task of the type, free slots aside (each claim checks those for its count). */
  static Condition eligibleIgnoringSlots(String jobType, boolean gpuRequired) {
    Condition condition = ready().and(offers(jobType));
    return gpuRequired ? condition.and(NODES.HAS_GPU.isTrue()) : condition;
  }

  /** HEALTHY, key proven, stream open: a node that may take tasks (of the types it offers). */
  private static Condition ready() {
    return NODES.STATUS.eq("HEALTHY").and(NODES.VERIFIED.isTrue()).and(NODES.STREAM_SESSION.isNotNull());
  }

  private static Condition offers(String jobType) {
    return DSL.val(jobType).eq(DSL.any(NODES.CAPABILITIES));
  }
}
