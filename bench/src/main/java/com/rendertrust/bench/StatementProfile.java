package com.rendertrust.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.Locale;
import org.jooq.DSLContext;

/**
 * Opt-in SQL profile of the measured window ({@code RT_BENCH_PG_STATEMENTS=1}): PostgreSQL's
 * pg_stat_statements, reset when the window opens and printed per settled hold when it closes, so
 * two builds can be compared statement by statement (calls, execution time and pages per settled hold).
 */
final class StatementProfile {

  private final boolean enabled;
  /** pg_stat_database's commits, rollbacks and deadlocks when the window opened. */
  private long[] transactionsAtReset;
  /** When the window opened, by the database's clock: settlements are counted from then until the print. */
  private long resetAtMicros;

  private StatementProfile(boolean enabled) {
    this.enabled = enabled;
  }

  static StatementProfile fromEnvironment() {
    return new StatementProfile("1".equals(System.getenv("RT_BENCH_PG_STATEMENTS")));
  }

  /** Whether the run profiles its SQL ({@code RT_BENCH_PG_STATEMENTS=1}). */
  boolean enabled() {
    return enabled;
  }

  EmbeddedPostgres.Builder configure(EmbeddedPostgres.Builder builder) {
    return enabled ? builder.setServerConfig("shared_preload_libraries", "pg_stat_statements")
        .setServerConfig("pg_stat_statements.track", "all")
        .setServerConfig("pg_stat_statements.track_planning", "on") : builder;
  }

  void reset(DSLContext db) {
    if (enabled) {
      db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      db.execute("SELECT pg_stat_statements_reset()");
      transactionsAtReset = transactions(db);
      resetAtMicros = db.fetchOne("SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint").get(0, Long.class);
    }
  }

  /** Commits, rollbacks and deadlocks of the current database (rollbacks include retried transactions). */
  private static long[] transactions(DSLContext db) {
    db.execute("SELECT pg_stat_force_next_flush()");
    var row = db.fetchOne("SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database"
        + " WHERE datname = current_database()");
    return new long[] {row.get(0, Long.class), row.get(1, Long.class), row.get(2, Long.class)};
  }

  /**
   * Prints the statements per settled hold. The statements ran from the reset until now, which
   * includes the jobs that settled after the throughput window closed: so they are divided by the
   * holds settled over that same span, not by the window's lifecycles.
   */
  void print(DSLContext db) {
    if (!enabled) {
      return;
    }
    long lifecycles = db.fetchOne("SELECT count(*) FROM credit_holds WHERE status <> 'ACTIVE' AND resolved_at >= to_timestamp(? / 1e6)",
        resetAtMicros).get(0, Long.class);
    if (lifecycles == 0) {
      return;
    }
    System.out.printf(Locale.ROOT, "SQL per settled hold (pg_stat_statements, %d holds settled since the window opened):%n", lifecycles);
    long[] now = transactions(db);
    System.out.printf(Locale.ROOT, "  transactions per settled hold: %.2f committed, %.3f rolled back; %d deadlocks%n",
        (now[0] - transactionsAtReset[0]) / (double) lifecycles, (now[1] - transactionsAtReset[1]) / (double) lifecycles,
        now[2] - transactionsAtReset[2]);
    var all = db.fetchOne("SELECT sum(calls), sum(total_exec_time + total_plan_time), sum(shared_blks_hit + shared_blks_read)"
        + " FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'");
    System.out.printf(Locale.ROOT, "  all statements: %.2f calls, %.3f ms, %.1f buffer pages per settled hold%n",
        all.get(0, Number.class).doubleValue() / lifecycles, all.get(1, Number.class).doubleValue() / lifecycles,
        all.get(2, Number.class).doubleValue() / lifecycles);
    var rows = db.fetch("""
        SELECT calls, total_exec_time + total_plan_time AS total_exec_time, plans, total_plan_time, rows,
               shared_blks_hit + shared_blks_read AS blocks,
               regexp_replace(query, '\\s+', ' ', 'g') AS q
          FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'
         ORDER BY total_exec_time DESC LIMIT 40""");
    double callsTotal = 0;
    double msTotal = 0;
    double blocksTotal = 0;
    double planTotal = 0;
    double plansTotal = 0;
    for (var row : rows) {
      double calls = row.get("calls", Long.class) / (double) lifecycles;
      double ms = row.get("total_exec_time", Double.class) / lifecycles;
      callsTotal += calls;
      msTotal += ms;
      // buffer pages touched do not depend on the machine's load: the CPU-proportional measure
      double blocks = row.get("blocks", Long.class) / (double) lifecycles;
      blocksTotal += blocks;
      planTotal += row.get("total_plan_time", Double.class) / lifecycles;
      double plans = row.get("plans", Long.class) / (double) lifecycles;
      plansTotal += plans;
      String query = row.get("q", String.class);
      System.out.printf(Locale.ROOT, "  %6.2f calls %5.2f plans %7.3f ms %8.1f pages  %s%n", calls, plans, ms, blocks,
          query.length() > 160 ? query.substring(0, 160) : query);
    }
    System.out.printf(Locale.ROOT, "  total of these: %.2f calls, %.3f ms, %.1f buffer pages per settled hold%n",
        callsTotal, msTotal, blocksTotal);
    System.out.printf(Locale.ROOT, "  of which planning: %.2f plans, %.3f ms per settled hold%n", plansTotal, planTotal);
  }
}
