package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.nodes.NodeStates;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds what nobody else will: tasks stuck on a node, nodes gone silent, settlements and
 * submissions interrupted by a crash, queued work that fits a free slot. It runs on one replica
 * at a time, the holder of a PostgreSQL advisory lock; the lock dies with its connection, so a
 * crashed replica's turn passes to another at the next tick. Every step is idempotent.
 */
public final class Sweeper {

  private static final Logger log = LoggerFactory.getLogger(Sweeper.class);
  /** Arbitrary but fixed: the advisory lock key of "the sweeper" in this database. */
  static final long LOCK_KEY = 0x52545357454550L; // "RTSWEEP"
  private static final Duration SETTLEMENT_RETRY_AFTER = Duration.ofSeconds(2);
  private static final Duration INTERRUPTED_SUBMISSION_AFTER = Duration.ofMinutes(1);
  private static final int BATCH = 500;

  private final Database database;
  private final JobsConfig config;
  private final Clock clock;
  private final JobLifecycle lifecycle;
  private final JobScheduler scheduler;
  private final Settlements settlements;
  private final JobService jobs;
  /**
   * Silence and disconnects count from this instant at the earliest: when this replica began
   * serving. A node cannot reconnect to a server that is down, so the downtime of a restart is no
   * evidence that its nodes are gone; without this floor, a restart longer than the reconnect grace
   * requeued (and ran twice) every running job although its agents were back seconds later.
   */
  private volatile Instant absencesCountFrom;

  public Sweeper(Database database, JobsConfig config, Clock clock, JobLifecycle lifecycle, JobScheduler scheduler,
      Settlements settlements, JobService jobs) {
    this.database = database;
    this.config = config;
    this.clock = clock;
    this.lifecycle = lifecycle;
    this.scheduler = scheduler;
    this.settlements = settlements;
    this.jobs = jobs;
    this.absencesCountFrom = clock.instant();
  }

  /**
   * The replica serves node streams from {@code since} on. Sweeps by other replicas are unaffected,
   * so a node that is really gone waits at most one more grace, and only while this replica
   * holds the sweeper lock.
   */
  public void countAbsencesFrom(Instant since) {
    this.absencesCountFrom = since;
  }

  /**
   * One sweep if this replica gets the lock; returns false when another replica holds it. The
   * lock is transaction-scoped on a connection of its own, so it is released by the rollback at
   * the end, or by the pool's rollback if anything throws: it can never leak into the pool.
   */
  public boolean sweepIfLeader() {
    try (Connection lockConnection = database.dataSource().getConnection()) {
      lockConnection.setAutoCommit(false);
      try {
        if (!tryLock(lockConnection)) {
          return false;
        }
        sweep();
        return true;
      } finally {
        lockConnection.rollback();
      }
    } catch (SQLException e) {
      log.warn("sweep skipped: database unavailable ({})", e.getMessage());
      return false;
    }
  }

  /** One full sweep (callers hold the lock; tests call it directly). */
  public SweepReport sweep() {
    Instant now = clock.instant();
    Instant floor = absencesCountFrom;
    int offline = markOfflineNodes(now, floor);
    int lost = requeue(lostNodeJobs(now, floor), "the node's connection was lost", false);
    int notStarted = requeue(active(JOB_TASKS.STATUS.eq(JobStatus.DISPATCHED.name())
        .and(JOB_TASKS.DISPATCHED_AT.le(Timestamps.toDb(now.minus(config.acceptTimeout()))))),
        "not started within " + config.acceptTimeout().toSeconds() + " s of dispatch", true);
    int overran = requeue(active(JOB_TASKS.DEADLINE.le(Timestamps.toDb(now))),
        "exceeded the job type's maximum run time", true);
    int abandoned = abandonInterruptedSubmissions(now);
    int settled = settlements.settlePending(now.minus(SETTLEMENT_RETRY_AFTER));
    int dispatched = scheduler.assignQueued();
    SweepReport report = new SweepReport(offline, lost, notStarted, overran, abandoned, settled, dispatched);
    if (report.changedAnything()) {
      log.info("sweep: {}", report);
    }
    return report;
  }

  /** What one sweep did. */
  public record SweepReport(int nodesMarkedOffline, int lostNodeJobs, int notStartedJobs, int overranJobs,
      int interruptedSubmissions, int settlements, int dispatched) {

    boolean changedAnything() {
      return nodesMarkedOffline + lostNodeJobs + notStartedJobs + overranJobs + interruptedSubmissions
          + settlements + dispatched > 0;
    }
  }

  /**
   * No heartbeat for {@code offlineAfter}: OFFLINE. A stream still marked open by then belongs
   * to a replica that died without closing it, so the mark is cleared too.
   */
  private int markOfflineNodes(Instant now, Instant absencesCountFrom) {
    Instant silentBefore = now.minus(config.offlineAfter());
    if (absencesCountFrom.isAfter(silentBefore)) {
      return 0;
    }
    OffsetDateTime cutoff = Timestamps.toDb(silentBefore);
    return NodeStates.markOffline(database.dsl(), cutoff, Timestamps.toDb(now));
  }

  /**
   * Tasks on nodes without a live stream for longer than the reconnect grace: the stream ended
   * (cleanly or not) and the node did not come back, or its replica died and heartbeats stopped.
   * Both clocks start at {@code absencesCountFrom} at the earliest.
   */
  private List<Record2<UUID, UUID>> lostNodeJobs(Instant now, Instant absencesCountFrom) {
    Instant disconnectedBefore = now.minus(config.reconnectGrace());
    Instant silentBefore = disconnectedBefore.minus(config.heartbeatTimeout());
    if (absencesCountFrom.isAfter(disconnectedBefore)) {
      return List.of();
    }
    Condition lost = NODES.STREAM_SESSION.isNull()
        .and(NODES.DISCONNECTED_AT.isNull().or(NODES.DISCONNECTED_AT.le(Timestamps.toDb(disconnectedBefore))))
        .or(NODES.LAST_HEARTBEAT_AT.isNull());
    if (!absencesCountFrom.isAfter(silentBefore)) {
      lost = lost.or(NODES.LAST_HEARTBEAT_AT.le(Timestamps.toDb(silentBefore)));
    }
    return database.dsl().select(JOB_TASKS.JOB_ID, JOB_TASKS.ASSIGNMENT_ID)
        .from(JOB_TASKS).join(NODES).on(NODES.ID.eq(JOB_TASKS.NODE_ID))
        .where(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name()).and(lost))
        .limit(BATCH)
        .fetch();
  }

  /** Active tasks (job id, assignment id) matching {@code condition}. */
  private List<Record2<UUID, UUID>> active(Condition condition) {
    return database.dsl().select(JOB_TASKS.JOB_ID, JOB_TASKS.ASSIGNMENT_ID).from(JOB_TASKS)
        .where(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name()).and(condition))
        .limit(BATCH)
        .fetch();
  }

  private int requeue(List<Record2<UUID, UUID>> stuck, String reason, boolean nodeAtFault) {
    int count = 0;
    for (Record2<UUID, UUID> job : stuck) {
      if (lifecycle.requeue(job.value1(), job.value2(), reason, nodeAtFault)) {
        count++;
      }
    }
    return count;
  }

  /** Priced submissions whose hold step never finished (the replica died): FAILED, hold released. */
  private int abandonInterruptedSubmissions(Instant now) {
    List<UUID> interrupted = database.dsl().select(JOBS.ID).from(JOBS)
        .where(JOBS.SETTLEMENT.eq(Settlement.HOLD_PENDING.name())
            .and(JOBS.CREATED_AT.le(Timestamps.toDb(now.minus(INTERRUPTED_SUBMISSION_AFTER)))))
        .limit(BATCH)
        .fetch(JOBS.ID);
    interrupted.forEach(jobs::abandonSubmission);
    return interrupted.size();
  }

  private static boolean tryLock(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
      statement.setLong(1, LOCK_KEY);
      try (ResultSet result = statement.executeQuery()) {
        return result.next() && result.getBoolean(1);
      }
    }
  }
}
