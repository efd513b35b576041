package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.jobs.JobTaskStore.Placement;
import com.rendertrust.server.nodes.NodeCapacity;
import com.rendertrust.server.nodes.NodeStates;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Decides which node runs which task, with PostgreSQL as the only source of truth so that any
 * replica may decide: slots are claimed by conditional updates of {@code nodes} ({@link
 * NodeStates}), queued tasks are taken with {@code FOR UPDATE SKIP LOCKED} together with their
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

  private final JobEvents events;

  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor) {
    this(database, config, clock, notifier, executor, JobEvents.NONE);
  }

  /** As above, recording each dispatch with {@code events}. */
  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor,
      JobEvents events) {
    this(database, config, clock, notifier, executor, events, Timer.builder("rt.jobs.dispatch.latency")
        .register(new SimpleMeterRegistry()));
  }

  /**
   * As above, also recording how long each task a queue pass dispatches had waited in the queue
   * in {@code dispatchLatency} ({@code rt_jobs_dispatch_latency_seconds}).
   */
  public JobScheduler(Database database, JobsConfig config, Clock clock, NodeNotifier notifier, Executor executor,
      JobEvents events, Timer dispatchLatency) {
    this.events = events;
    this.dispatchLatency = dispatchLatency;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.notifier = notifier;
    this.queuePass = new CoalescingTask("queue pass", executor, this::assignQueued);
  }

  /** True when a HEALTHY, verified node advertises the job type (busy or not, connected or not). */
  boolean anyHealthyNodeFor(DSLContext tx, String jobType, boolean gpuRequired) {
    return NodeStates.anyHealthyFor(tx, jobType, gpuRequired);
  }

  /**
   * Within {@code tx}: up to {@code count} slots for the tasks of a new submission, least-loaded
   * first, unless older queued work of its type at its tier and priority or higher waits; the new tasks
   * then queue behind it instead of overtaking it (FIFO within priority). Empty when they queue.
   */
  List<UUID> claimSlotsUnlessQueued(DSLContext tx, UUID userId, String jobType, boolean gpuRequired, short tierRank,
      short rank, int count) {
    int cap = config.maxRunningTasksPerUser();
    if (cap > 0) { // RT_MAX_RUNNING_TASKS_PER_USER: the rest of the job's tasks queue
      count = Math.min(count, Math.max(0, cap - tx.fetchCount(JOB_TASKS, JOB_TASKS.USER_ID.eq(userId)
          .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())))));
      if (count == 0) {
        return List.of();
      }
    }
    if (!QUEUE_AHEAD.fetch(tx, row -> true, jobType, tierRank, rank).isEmpty()) {
      return List.of(); // older work of its type at its tier and priority or higher waits: queue behind it
    }
    return NodeStates.claimFor(tx, jobType, gpuRequired, count);
  }

  /** A kind of task, as nodes offer it: its type, and whether it needs a GPU. */
  record TaskKind(String jobType, boolean gpuRequired) {
  }

  private static final PreparedSql QUEUE_AHEAD = new PreparedSql("""
      SELECT 1 FROM job_tasks
       WHERE status = 'QUEUED' AND job_type = ?
         AND (tier_rank, priority_rank) >= (CAST(? AS smallint), CAST(? AS smallint))
       LIMIT 1""");

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
      boolean[] batchFull = new boolean[1];
      boolean[] heldJobsWithMoreTasks = new boolean[1];
      transactions.transactionResult(cfg -> {
        placed.clear(); // a retried attempt starts over
        DSLContext tx = cfg.dsl();
        // Lock no more queued tasks (and their jobs) than free slots could take: a pass after a few
        // endings need not lock a batch of up to 200 tasks, and their jobs' rows, that it cannot place.
        int limit = anyQueued(tx) ? Math.min(QUEUE_BATCH, NodeStates.freeSlots(tx)) : 0;
        List<QueuedTask> queued = limit == 0 ? List.of() : lockQueued(tx, LOCK_QUEUED, limit);
        batchFull[0] = queued.size() == limit; // all it could lock: maybe more to place, another round
        heldJobsWithMoreTasks[0] = queued.stream().anyMatch(QueuedTask::jobHasMoreTasks);
        // one claim per kind of task (type, GPU), kinds in the order the queue first names them;
        // a task that failed somewhere claims alone, avoiding the nodes it failed on
        Map<String, List<QueuedTask>> byKind = new LinkedHashMap<>();
        List<QueuedTask> avoiding = new ArrayList<>();
        for (QueuedTask task : queued) {
          if (task.failedNodes().length > 0) {
            avoiding.add(task);
          } else {
            byKind.computeIfAbsent(task.jobType() + (task.gpuRequired() ? "+gpu" : ""), kind -> new ArrayList<>())
                .add(task);
          }
        }
        for (QueuedTask task : avoiding) {
          claimAvoiding(tx, task).ifPresent(node -> placed.add(placement(task, node)));
        }
        for (var tasks : byKind.values()) {
          var first = tasks.get(0);
          List<UUID> nodes = NodeStates.claimFor(tx, first.jobType(), first.gpuRequired(), tasks.size());
          for (int i = 0; i < nodes.size(); i++) {
            placed.add(placement(tasks.get(i), nodes.get(i)));
          }
        }
        OffsetDateTime now = Timestamps.toDb(clock.instant());
        recordWaits(JobTaskStore.dispatch(tx, placed, now), now);
        events.record(tx, JobEventDrafts.dispatched(placed));
        return placed.size();
      });
      placed.stream().map(Placement::nodeId).distinct().forEach(notifier::jobsChanged);
      total += placed.size();
      if (placed.isEmpty() || !batchFull[0]) {
        if (heldJobsWithMoreTasks[0] && !placed.isEmpty()) {
          // While this round held their jobs' rows, fills and other passes skipped those jobs' other
          // tasks (SKIP LOCKED), and free nodes elsewhere may be waiting for them; another round of
          // this pass would look again, the last asks for a pass. (Only after placing some: a pass
          // that places nothing must not request itself forever.)
          requestQueuePass();
        }
        return total;
      }
    }
  }

  /**
   * Fills {@code nodeId}'s free slots from the queue (its job types only), e.g. right after it
   * finished a task or connected. Returns how many tasks it assigned; the caller notifies the node.
   */
  public int assignQueuedTo(UUID nodeId) {
    Fill fill = transactions.transactionResult(cfg -> assignQueuedTo(cfg.dsl(), nodeId));
    if (fill.leftLocked() || fill.heldJobsWithMoreTasks()) {
      // A queue pass running meanwhile skipped the tasks this fill had locked (SKIP LOCKED), and
      // may have taken the slots this fill could not get; and while this fill held a job's row,
      // every other placement skipped the job's other tasks: those tasks would wait for the next sweep.
      requestQueuePass();
    }
    return fill.assigned();
  }

  /**
   * What a fill did: the tasks it assigned, whether it locked queued tasks it did not place, and
   * whether it held the row of a job with more than one task.
   */
  private record Fill(int assigned, boolean leftLocked, boolean heldJobsWithMoreTasks) {
    static final Fill NOTHING = new Fill(0, false, false);
  }

  /**
   * Fills {@code nodeId}'s free slots from the queue, as {@link #assignQueuedTo(UUID)}, and tells
   * the node's stream (on whichever replica) when it assigned any, e.g. after a heartbeat.
   */
  public int fillNode(UUID nodeId) {
    int assigned = assignQueuedTo(nodeId);
    if (assigned > 0) {
      notifier.jobsChanged(nodeId);
    }
    return assigned;
  }

  /** {@link #assignQueuedTo(UUID)} within {@code tx}. */
  private Fill assignQueuedTo(DSLContext tx, UUID nodeId) {
    NodeCapacity node = NodeStates.capacity(tx, nodeId);
    if (node.freeSlots() == 0 || !anyQueued(tx)) {
      return Fill.NOTHING;
    }
    var queued = lockQueued(tx, LOCK_QUEUED_FOR_NODE, node.freeSlots(), node.capabilities().toArray(String[]::new),
        node.hasGpu(), nodeId);
    if (queued.isEmpty()) {
      return Fill.NOTHING;
    }
    int taking = queued.size();
    // the capacity read may be stale by now: fall back to as many as still fit
    while (taking > 0 && !NodeStates.claimOn(tx, nodeId, taking)) {
      taking--;
    }
    List<Placement> placed = new ArrayList<>();
    for (int i = 0; i < taking; i++) {
      placed.add(placement(queued.get(i), nodeId));
    }
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    recordWaits(JobTaskStore.dispatch(tx, placed, now), now);
    events.record(tx, JobEventDrafts.dispatched(placed));
    return new Fill(placed.size(), taking < queued.size(), queued.stream().anyMatch(QueuedTask::jobHasMoreTasks));
  }

  /** Queue waits, recorded when the pass runs (a rolled-back attempt may count twice; rare, and harmless here). */
  private void recordWaits(List<OffsetDateTime> queuedAt, OffsetDateTime now) {
    for (OffsetDateTime queued : queuedAt) {
      dispatchLatency.record(Duration.between(queued, now).abs());
    }
  }

  private Placement placement(QueuedTask task, UUID nodeId) {
    return new Placement(task.taskId(), task.jobId(), nodeId, UUID.randomUUID(), maxRuntimeMillis(task.jobType()));
  }

  /** A queued task as a queue pass sees it. */
  private record QueuedTask(UUID taskId, UUID jobId, String jobType, boolean gpuRequired, UUID[] failedNodes,
      boolean jobHasMoreTasks) {
  }

  /**
   * A slot for a task that failed on some nodes: on another eligible node; on one it failed on
   * only when no other eligible node exists (busy or not). Empty: it waits for another node.
   */
  private static Optional<UUID> claimAvoiding(DSLContext tx, QueuedTask task) {
    Condition eligible = eligibleIgnoringSlots(task.jobType(), task.gpuRequired());
    Condition elsewhere = DSL.not(NODES.ID.eq(DSL.any(DSL.val(task.failedNodes()))));
    List<UUID> node = NodeStates.claim(tx, eligible, elsewhere, 1);
    if (node.isEmpty() && !tx.fetchExists(NODES, eligible.and(elsewhere))) {
      node = NodeStates.claim(tx, eligible, DSL.noCondition(), 1);
    }
    return node.stream().findFirst();
  }

  /**
   * Queued tasks that are due (past their retry backoff) and match {@code statement}'s filter,
   * locked with their jobs (locked ones are skipped), in queue order: tier, then the job's
   * priority, then fair share across creators, then first in, first out. Fair share is a
   * round-robin weighted by what each creator already runs: a creator's n-th queued task in a
   * tier and priority ranks n + its running tasks, so a creator with a long backlog cannot starve
   * one who submits later. With {@code RT_MAX_RUNNING_TASKS_PER_USER}, a creator's tasks beyond
   * the limit wait. {@code filter} are the parameters of the statement's filter.
   */
  private List<QueuedTask> lockQueued(DSLContext tx, PreparedSql statement, int limit, Object... filter) {
    int cap = config.maxRunningTasksPerUser();
    long perUser = cap == 0 ? Long.MAX_VALUE : cap; // RT_MAX_RUNNING_TASKS_PER_USER 0: no limit
    Object[] params = Stream.concat(Arrays.stream(filter), Stream.of(Timestamps.toDb(clock.instant()), perUser, limit))
        .toArray();
    // The ranking's custom plan (its LIMIT and the node's job types known) always looks cheaper
    // than its generic one, so PostgreSQL planned it again on every call, and the dispatch's
    // statement after it too. The rest of this transaction is the pass: plan it once.
    GENERIC_PLANS.execute(tx);
    return statement.fetch(tx, row -> new QueuedTask(PreparedSql.uuid(row, 1), PreparedSql.uuid(row, 2),
        row.getString(3), row.getBoolean(4), (UUID[]) row.getArray(5).getArray(), row.getBoolean(6)), params);
  }

  /**
   * Many passes find the queue empty (most endings free a slot nobody waits for): this probe reads
   * the small partial index of queued tasks, before the ranking counts every creator's running tasks.
   */
  private static boolean anyQueued(DSLContext tx) {
    return !ANY_QUEUED.fetch(tx, row -> true).isEmpty();
  }

  private static final PreparedSql GENERIC_PLANS = new PreparedSql("SET LOCAL plan_cache_mode = force_generic_plan");

  private static final PreparedSql ANY_QUEUED = new PreparedSql(
      "SELECT 1 FROM job_tasks WHERE status = 'QUEUED' LIMIT 1");

  /** The queue in order (see lockQueued); %s is the filter of the tasks wanted. Rendered once per filter. */
  private static final String QUEUE_IN_ORDER = """
      WITH running AS (
        SELECT user_id, count(*) AS n FROM job_tasks WHERE status IN ('DISPATCHED', 'RUNNING') GROUP BY user_id),
      ranked AS (
        SELECT job_tasks.id,
               COALESCE(r.n, 0) + row_number() OVER (
                 PARTITION BY job_tasks.tier_rank, job_tasks.priority_rank, job_tasks.user_id
                 ORDER BY job_tasks.queued_at, job_tasks.job_id, job_tasks.task_index) AS fair,
               COALESCE(r.n, 0) + row_number() OVER (
                 PARTITION BY job_tasks.user_id
                 ORDER BY job_tasks.tier_rank DESC, job_tasks.priority_rank DESC, job_tasks.queued_at,
                          job_tasks.job_id, job_tasks.task_index) AS per_user
          FROM job_tasks LEFT JOIN running r ON r.user_id = job_tasks.user_id
         WHERE job_tasks.status = 'QUEUED' AND %s
           AND (job_tasks.not_before IS NULL OR job_tasks.not_before <= ?))
      SELECT t.id, t.job_id, t.job_type, t.gpu_required, t.failed_nodes, j.tasks_total > 1
        FROM job_tasks t JOIN jobs j ON j.id = t.job_id JOIN ranked q ON q.id = t.id
       WHERE t.status = 'QUEUED' AND q.per_user <= ?
       ORDER BY t.tier_rank DESC, t.priority_rank DESC, q.fair, t.queued_at, t.job_id, t.task_index
       LIMIT ?
         FOR UPDATE OF t, j SKIP LOCKED""";

  /** Node alias {@code %1$s} offers the task's type, and a GPU if it needs one. */
  private static final String OFFERS_TASK =
      "job_tasks.job_type = ANY(%1$s.capabilities) AND (NOT job_tasks.gpu_required OR %1$s.has_gpu)";

  /**
   * A queued task may go to node {@code %1$s} (parameter of LOCK_QUEUED_FOR_NODE, column of
   * LOCK_QUEUED): not one it failed on, unless no other ready node could take it, busy or not.
   */
  private static final String NOT_FAILED_ON_UNLESS_ALONE = """
      (%1$s <> ALL(job_tasks.failed_nodes) OR NOT EXISTS (
                SELECT 1 FROM nodes other
                 WHERE %2$s AND %3$s AND other.id <> ALL(job_tasks.failed_nodes)))""";

  private static String notFailedOnUnlessAlone(String node) {
    return NOT_FAILED_ON_UNLESS_ALONE.formatted(node, NodeStates.readySql("other"), OFFERS_TASK.formatted("other"));
  }

  /**
   * Every due queued task that a node with a free slot can take now (a queue pass over all
   * nodes): a pass locks only as many tasks as there are free slots, so tasks that no free node
   * would take must not hold places among them.
   */
  private static final PreparedSql LOCK_QUEUED = new PreparedSql(QUEUE_IN_ORDER.formatted("""
      EXISTS (SELECT 1 FROM nodes free
               WHERE %s AND free.active_jobs < free.slots AND %s AND %s)""".formatted(NodeStates.readySql("free"),
      OFFERS_TASK.formatted("free"), notFailedOnUnlessAlone("free.id"))));

  /**
   * The tasks one node can run: of a type it offers, needing no GPU unless it has one (parameters:
   * its capabilities, whether it has a GPU), and not failed on it unless no other eligible node
   * exists for the task (parameter: the node's id).
   */
  private static final PreparedSql LOCK_QUEUED_FOR_NODE = new PreparedSql(QUEUE_IN_ORDER.formatted("""
      job_tasks.job_type = ANY(CAST(? AS varchar[])) AND (CAST(? AS boolean) OR NOT job_tasks.gpu_required)
           AND %s""".formatted(notFailedOnUnlessAlone("CAST(? AS uuid)"))));

  /** Eligible for a task of the type, free slots aside (each claim checks those for its count). */
  static Condition eligibleIgnoringSlots(String jobType, boolean gpuRequired) {
    return NodeStates.eligibleIgnoringSlots(jobType, gpuRequired);
  }
}
