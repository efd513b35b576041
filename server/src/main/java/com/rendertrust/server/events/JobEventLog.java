package com.rendertrust.server.events;

import static com.rendertrust.server.db.Tables.JOB_EVENTS;

import com.rendertrust.server.db.tables.records.JobEventsRecord;
import com.rendertrust.server.jobs.JobEvents;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Timestamps;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jooq.Configuration;
import org.jooq.DSLContext;
import org.jooq.TransactionContext;
import org.jooq.TransactionListener;
import org.jooq.TransactionListenerProvider;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only log of job events ({@code job_events}), and its read API.
 *
 * <p>Writing ({@link #record}, the jobs feature's {@link JobEvents}): within the transaction of
 * the change, a job's next seqs are taken from its {@code job_event_heads} row (an upsert that
 * row-locks it until the commit, so a job's seqs are gapless and commit in seq order), then the
 * rows are inserted. After the commit, the events go to {@code afterCommit} (the live fan-out);
 * events of a transaction that rolls back are never seen.
 *
 * <p>Reading every event with a cursor ({@link #readAfter}, for consumers such as webhooks):
 * {@code id} is a bigserial handed out at insert, not at commit, so a slow transaction can still
 * commit id 41 after id 42 is visible. readAfter therefore only returns ids up to a horizon below
 * which nothing can appear any more (the technique of credits.LedgerSealHorizon: read the
 * sequence's last value L, take an own transaction id X, wait until the oldest running
 * transaction is at least X; every writer took its transaction id before its number, because it
 * wrote its job row and the head row first). A consumer that stores {@link EventBatch#nextCursor}
 * and calls again sees every committed event exactly once, in id order, and never an event that
 * rolled back. Each call takes one transaction id.
 */
public final class JobEventLog implements JobEvents {

  private static final Logger log = LoggerFactory.getLogger(JobEventLog.class);
  private static final int MAX_MESSAGE = 1000;
  // Waiting for the horizon polls the database: 20 ms keeps it to a few statements per second
  // under a steady stream of writes, which never lets the horizon pass at once.
  private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  private final DSLContext dsl;
  private final Clock clock;
  private final Consumer<List<StoredEvent>> afterCommit;
  /** Events recorded by transactions still open, by their jOOQ configuration (one per transaction). */
  private final Map<Configuration, List<StoredEvent>> pending = Collections.synchronizedMap(new WeakHashMap<>());

  /** {@code afterCommit} gets each committed transaction's events; it must not block. */
  public JobEventLog(Database database, Clock clock, Consumer<List<StoredEvent>> afterCommit) {
    this.dsl = database.dsl();
    this.clock = clock;
    this.afterCommit = afterCommit;
    TransactionListenerProvider[] existing = dsl.configuration().transactionListenerProviders();
    TransactionListenerProvider[] providers = java.util.Arrays.copyOf(existing, existing.length + 1);
    TransactionListener listener = new TransactionListener() {
      @Override
      public void commitEnd(TransactionContext ctx) {
        List<StoredEvent> committed = pending.remove(ctx.configuration());
        if (committed != null) {
          publish(committed);
        }
      }

      @Override
      public void rollbackEnd(TransactionContext ctx) {
        pending.remove(ctx.configuration());
      }
    };
    providers[existing.length] = () -> listener;
    dsl.configuration().set(providers);
  }

  @Override
  public void record(DSLContext tx, List<Event> events) {
    if (events.isEmpty()) {
      return;
    }
    List<StoredEvent> stored = insert(tx, events, Timestamps.toDb(clock.instant()));
    if (inAutocommit(tx)) {
      publish(stored); // a statement outside a transaction: already committed
    } else {
      pending.computeIfAbsent(tx.configuration(), cfg -> Collections.synchronizedList(new ArrayList<>()))
          .addAll(stored);
    }
  }

  /**
   * Takes each job's next seqs from its head row and inserts the events, in one statement (one
   * round trip per transaction: the lifecycle's hot path records several events, and a queue
   * pass records the dispatches of many jobs). Each job's events keep their order in
   * {@code events}.
   */
  private List<StoredEvent> insert(DSLContext tx, List<Event> events, OffsetDateTime now) {
    int n = events.size();
    UUID[] jobs = new UUID[n];
    String[] types = new String[n];
    UUID[] tasks = new UUID[n];
    UUID[] nodes = new UUID[n];
    String[] statuses = new String[n];
    Double[] progress = new Double[n];
    Integer[] frames = new Integer[n];
    String[] codes = new String[n];
    String[] messages = new String[n];
    for (int i = 0; i < n; i++) {
      Event event = events.get(i);
      jobs[i] = event.jobId();
      types[i] = event.type().wireName();
      tasks[i] = event.taskId().orElse(null);
      nodes[i] = event.nodeId().orElse(null);
      statuses[i] = event.status().name();
      progress[i] = event.progress().orElse(null);
      frames[i] = event.framesDone().orElse(null);
      codes[i] = event.errorCode().orElse(null);
      messages[i] = event.message().map(JobEventLog::clip).orElse(null);
    }
    boolean oneJob = Arrays.stream(jobs).allMatch(jobs[0]::equals);
    List<StoredEvent> stored = oneJob
        ? INSERT.fetch(tx, JobEventLog::toEvent, n, jobs[0], jobs[0], n, now, types, tasks, nodes, statuses, progress,
            frames, codes, messages)
        : INSERT_MANY.fetch(tx, JobEventLog::toEvent, jobs, types, tasks, nodes, statuses, progress, frames, codes,
            messages, now);
    if (stored.size() < n) {
      Set<UUID> missing = new LinkedHashSet<>(Arrays.asList(jobs));
      stored.forEach(event -> missing.remove(event.jobId()));
      log.warn("no jobs {} to record events of; skipped", missing);
    }
    return stored;
  }

  /** The insert of {@link #insert} for one job, rendered once (it runs several times in every job's lifecycle). */
  private static final PreparedSql INSERT = new PreparedSql("""
      WITH head AS (
        INSERT INTO job_event_heads AS h (job_id, user_id, last_seq)
        SELECT id, user_id, ? FROM jobs WHERE id = ?
        ON CONFLICT (job_id) DO UPDATE SET last_seq = h.last_seq + EXCLUDED.last_seq
        RETURNING last_seq, user_id)
      INSERT INTO job_events (job_id, user_id, seq, type, task_id, node_id, status, progress, frames_done,
                              error_code, message, created_at)
      SELECT CAST(? AS uuid), head.user_id, CAST(head.last_seq - ? + e.ord AS INTEGER), e.type, e.task_id,
             e.node_id, e.status, e.progress, e.frames_done, e.error_code, e.message, ?
        FROM head, unnest(CAST(? AS VARCHAR[]), CAST(? AS UUID[]), CAST(? AS UUID[]), CAST(? AS VARCHAR[]),
                          CAST(? AS DOUBLE PRECISION[]), CAST(? AS INTEGER[]), CAST(? AS VARCHAR[]),
                          CAST(? AS VARCHAR[]))
             WITH ORDINALITY AS e(type, task_id, node_id, status, progress, frames_done, error_code, message, ord)
       ORDER BY e.ord
      RETURNING id, job_id, user_id, seq, type, task_id, node_id, status, progress, frames_done, error_code,
                message, created_at""");

  /**
   * The insert of {@link #insert} for several jobs: the head rows are taken in job id order (as
   * the transitions lock jobs), and each job's events are numbered in their order in the arrays.
   */
  private static final PreparedSql INSERT_MANY = new PreparedSql("""
      WITH e AS (
        SELECT * FROM unnest(CAST(? AS UUID[]), CAST(? AS VARCHAR[]), CAST(? AS UUID[]), CAST(? AS UUID[]),
                             CAST(? AS VARCHAR[]), CAST(? AS DOUBLE PRECISION[]), CAST(? AS INTEGER[]),
                             CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]))
               WITH ORDINALITY AS e(job_id, type, task_id, node_id, status, progress, frames_done, error_code,
                                    message, ord)),
      counted AS (SELECT job_id, count(*)::int AS n FROM e GROUP BY job_id),
      head AS (
        INSERT INTO job_event_heads AS h (job_id, user_id, last_seq)
        SELECT j.id, j.user_id, c.n FROM counted c JOIN jobs j ON j.id = c.job_id ORDER BY j.id
        ON CONFLICT (job_id) DO UPDATE SET last_seq = h.last_seq + EXCLUDED.last_seq
        RETURNING job_id, last_seq, user_id)
      INSERT INTO job_events (job_id, user_id, seq, type, task_id, node_id, status, progress, frames_done,
                              error_code, message, created_at)
      SELECT e.job_id, head.user_id,
             CAST(head.last_seq - c.n + row_number() OVER (PARTITION BY e.job_id ORDER BY e.ord) AS INTEGER),
             e.type, e.task_id, e.node_id, e.status, e.progress, e.frames_done, e.error_code, e.message, ?
        FROM e JOIN head ON head.job_id = e.job_id JOIN counted c ON c.job_id = e.job_id
       ORDER BY e.ord
      RETURNING id, job_id, user_id, seq, type, task_id, node_id, status, progress, frames_done, error_code,
                message, created_at""");

  private static StoredEvent toEvent(ResultSet row) throws SQLException {
    double progress = row.getDouble(9);
    Optional<Double> reported = row.wasNull() ? Optional.empty() : Optional.of(progress);
    return new StoredEvent(row.getLong(1), PreparedSql.uuid(row, 2), PreparedSql.uuid(row, 3), row.getInt(4),
        row.getString(5), Optional.ofNullable(PreparedSql.uuid(row, 6)), Optional.ofNullable(PreparedSql.uuid(row, 7)),
        row.getString(8), reported, Optional.ofNullable(PreparedSql.integer(row, 10)),
        Optional.ofNullable(row.getString(11)), Optional.ofNullable(row.getString(12)),
        Timestamps.fromDb(PreparedSql.timestamp(row, 13)));
  }

  private static String clip(String text) {
    return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE);
  }

  private static boolean inAutocommit(DSLContext tx) {
    return tx.connectionResult(Connection::getAutoCommit);
  }

  private void publish(List<StoredEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    try {
      afterCommit.accept(List.copyOf(events));
    } catch (RuntimeException e) {
      log.warn("fanning out {} committed job events failed; watchers catch up by polling", events.size(), e);
    }
  }

  // ---- reading ----

  /** The stored events of a job with seq > {@code afterSeq}, in seq order, at most {@code limit}. */
  public List<StoredEvent> forJob(UUID jobId, long afterSeq, int limit) {
    return dsl.selectFrom(JOB_EVENTS)
        .where(JOB_EVENTS.JOB_ID.eq(jobId).and(JOB_EVENTS.SEQ.gt((int) Math.min(afterSeq, Integer.MAX_VALUE))))
        .orderBy(JOB_EVENTS.SEQ).limit(limit)
        .fetch(JobEventLog::toEvent);
  }

  /**
   * For each {@code (jobs[i], afterSeq[i])}: the job's stored events with seq > afterSeq, in seq
   * order, at most {@code limit}; one statement for all of them (the requests are unnested and
   * each one reads its page through the (job_id, seq) index).
   */
  List<List<StoredEvent>> forJobs(List<UUID> jobs, List<Integer> afterSeq, int limit) {
    String[] ids = jobs.stream().map(UUID::toString).toArray(String[]::new);
    String[] after = afterSeq.stream().map(String::valueOf).toArray(String[]::new);
    List<List<StoredEvent>> pages = new ArrayList<>();
    jobs.forEach(job -> pages.add(new ArrayList<>()));
    dsl.resultQuery("""
            SELECT e.*, r.n AS request_no
            FROM unnest({0}::text[]::uuid[], {1}::text[]::int[]) WITH ORDINALITY AS r(job_id, after_seq, n)
            CROSS JOIN LATERAL (
              SELECT * FROM job_events j WHERE j.job_id = r.job_id AND j.seq > r.after_seq ORDER BY j.seq LIMIT {2}) e
            ORDER BY r.n, e.seq""", DSL.val(ids), DSL.val(after), DSL.val(limit))
        .coerce(withRequestNo())
        .forEach(row -> pages.get(row.get("request_no", Integer.class) - 1).add(toEvent(row.into(JOB_EVENTS))));
    return pages;
  }

  /** The columns of job_events in table order (as {@code e.*} lists them), then request_no. */
  private static org.jooq.Field<?>[] withRequestNo() {
    org.jooq.Field<?>[] columns = java.util.Arrays.copyOf(JOB_EVENTS.fields(), JOB_EVENTS.fields().length + 1);
    columns[columns.length - 1] = DSL.field(DSL.name("request_no"), Integer.class);
    return columns;
  }

  /** The stored events of a user's jobs with id > {@code afterId}, in id order, at most {@code limit}. */
  public List<StoredEvent> forUser(UUID userId, long afterId, int limit) {
    return dsl.selectFrom(JOB_EVENTS)
        .where(JOB_EVENTS.USER_ID.eq(userId).and(JOB_EVENTS.ID.gt(afterId)))
        .orderBy(JOB_EVENTS.ID).limit(limit)
        .fetch(JobEventLog::toEvent);
  }

  /** Events with id > {@code afterId} as far as committed now (may skip late commits: for polling watchers). */
  List<StoredEvent> tail(long afterId, int limit) {
    return dsl.selectFrom(JOB_EVENTS).where(JOB_EVENTS.ID.gt(afterId)).orderBy(JOB_EVENTS.ID).limit(limit)
        .fetch(JobEventLog::toEvent);
  }

  /** The greatest event id committed so far; 0 when none. */
  long lastId() {
    Long max = dsl.select(DSL.max(JOB_EVENTS.ID)).from(JOB_EVENTS).fetchOne(0, Long.class);
    return max == null ? 0 : max;
  }

  /** One read of {@link #readAfter}: the events, and the cursor to pass next time. */
  public record EventBatch(List<StoredEvent> events, long nextCursor) {
  }

  /**
   * Every job event (all users) with id > {@code cursor}, in id order, at most {@code limit}, up
   * to the horizon described in the class comment; each carries user_id, job_id, type and its
   * JSON ({@link StoredEvent#toJson}). Pass {@link EventBatch#nextCursor} next time (start with 0,
   * or with the id of the last event handled). Waits at most {@code maxWait} for transactions
   * still running to end; if they do not, answers no events and the same cursor (call again).
   */
  public EventBatch readAfter(long cursor, int limit, Duration maxWait) {
    return read(cursor, limit, maxWait, DSL.trueCondition());
  }

  /**
   * {@link #readAfter(long, int, Duration)} of the events of {@code owners} only (for a consumer
   * that would drop the others, such as webhooks: most users have no endpoint). The others are
   * skipped in the database, and {@link EventBatch#nextCursor} passes them.
   */
  public EventBatch readAfterOf(Set<UUID> owners, long cursor, int limit, Duration maxWait) {
    return read(cursor, limit, maxWait, owners.isEmpty() ? DSL.falseCondition()
        : JOB_EVENTS.USER_ID.eq(DSL.any(owners.toArray(UUID[]::new))));
  }

  private EventBatch read(long cursor, int limit, Duration maxWait, org.jooq.Condition owners) {
    long horizon = HORIZON.fetch(dsl, row -> row.getLong(1)).getFirst();
    String ownId = OWN_TRANSACTION.fetch(dsl, row -> row.getString(1)).getFirst();
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (!OLDER_ENDED.fetch(dsl, row -> row.getBoolean(1), ownId).getFirst()) {
      if (System.nanoTime() >= deadline || Thread.currentThread().isInterrupted()) {
        return new EventBatch(List.of(), cursor); // call again (a reader being stopped does not)
      }
      LockSupport.parkNanos(POLL_INTERVAL.toNanos());
    }
    List<StoredEvent> events = dsl.selectFrom(JOB_EVENTS)
        .where(JOB_EVENTS.ID.gt(cursor).and(JOB_EVENTS.ID.le(horizon)).and(owners))
        .orderBy(JOB_EVENTS.ID).limit(limit)
        .fetch(JobEventLog::toEvent);
    long next = events.size() == limit ? events.get(events.size() - 1).id() : Math.max(cursor, horizon);
    return new EventBatch(events, next);
  }

  // readAfter's statements, written once: the wait for the horizon runs one every POLL_INTERVAL
  private static final PreparedSql HORIZON =
      new PreparedSql("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM job_events_id_seq");
  private static final PreparedSql OWN_TRANSACTION = new PreparedSql("SELECT pg_current_xact_id()::text");
  private static final PreparedSql OLDER_ENDED =
      new PreparedSql("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= CAST(? AS xid8)");

  /** {@link #readAfter(long, int, Duration)} waiting at most one second. */
  public EventBatch readAfter(long cursor, int limit) {
    return readAfter(cursor, limit, Duration.ofSeconds(1));
  }

  private static StoredEvent toEvent(JobEventsRecord row) {
    return new StoredEvent(row.getId(), row.getJobId(), row.getUserId(), row.getSeq(), row.getType(),
        Optional.ofNullable(row.getTaskId()), Optional.ofNullable(row.getNodeId()), row.getStatus(),
        Optional.ofNullable(row.getProgress()), Optional.ofNullable(row.getFramesDone()),
        Optional.ofNullable(row.getErrorCode()), Optional.ofNullable(row.getMessage()),
        Timestamps.fromDb(row.getCreatedAt()));
  }
}
