package com.rendertrust.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.Locale;
import org.jooq.DSLContext;

/**
 * Opt-in SQL profile of the measured window ({@code RT_BENCH_PG_STATEMENTS=1}): PostgreSQL's
 * pg_stat_statements, reset when the window opens and printed per lifecycle when it closes, so
 * two builds can be compared statement by statement (calls and execution time per lifecycle).
 */
final class StatementProfile {

  private final boolean enabled;

  private StatementProfile(boolean enabled) {
    this.enabled = enabled;
  }

  static StatementProfile fromEnvironment() {
    return new StatementProfile("1".equals(System.getenv("RT_BENCH_PG_STATEMENTS")));
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
    }
  }

  void print(DSLContext db, long lifecycles) {
    if (!enabled || lifecycles == 0) {
      return;
    }
    System.out.printf(Locale.ROOT, "SQL per lifecycle (pg_stat_statements, %d lifecycles):%n", lifecycles);
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
      plansTotal += row.get("plans", Long.class) / (double) lifecycles;
      String query = row.get("q", String.class);
      System.out.printf(Locale.ROOT, "  %6.2f calls %7.3f ms %8.1f pages  %s%n", calls, ms, blocks,
          query.length() > 160 ? query.substring(0, 160) : query);
    }
    System.out.printf(Locale.ROOT, "  total of these: %.2f calls, %.3f ms, %.1f buffer pages per lifecycle%n",
        callsTotal, msTotal, blocksTotal);
    System.out.printf(Locale.ROOT, "  of which planning: %.2f plans, %.3f ms per lifecycle%n", plansTotal, planTotal);
  }
}
