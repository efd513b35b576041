package com.rendertrust.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Opt-in PostgreSQL log of a benchmark's database ({@code RT_BENCH_PG_LOG=<directory>}): the log
 * files there, with every lock wait longer than deadlock_timeout (1 s, or {@code
 * RT_BENCH_PG_LOCK_WAIT_MS}) and every deadlock, each with the statements involved, and every
 * autovacuum and checkpoint with their times, so that stalls that come in bursts can be matched
 * against them. With {@code RT_BENCH_PG_EXPLAIN_MS=<ms>} too, every statement slower than that,
 * nested ones included (those a PL/pgSQL function runs), is logged with its plan and each plan
 * node's actual time (auto_explain; the timing costs the run some throughput).
 */
final class PostgresLog {

  private PostgresLog() {
  }

  /** {@code statements}: the run's SQL profile, whose pg_stat_statements must still load with auto_explain. */
  static EmbeddedPostgres.Builder configure(EmbeddedPostgres.Builder builder, StatementProfile statements) {
    String directory = System.getenv("RT_BENCH_PG_LOG");
    if (directory == null || directory.isBlank()) {
      return builder;
    }
    builder.setServerConfig("logging_collector", "on").setServerConfig("log_directory", directory)
        .setServerConfig("log_lock_waits", "on").setServerConfig("log_autovacuum_min_duration", "0")
        .setServerConfig("log_checkpoints", "on");
    String lockWait = System.getenv("RT_BENCH_PG_LOCK_WAIT_MS");
    if (lockWait != null && lockWait.matches("[1-9][0-9]{0,5}")) {
      builder.setServerConfig("deadlock_timeout", lockWait + "ms");
    }
    String explain = System.getenv("RT_BENCH_PG_EXPLAIN_MS");
    if (explain != null && explain.matches("[1-9][0-9]{0,5}")) {
      // a server setting has one value, and this one replaces the profile's: it names both libraries
      builder.setServerConfig("shared_preload_libraries",
          statements.enabled() ? "pg_stat_statements,auto_explain" : "auto_explain")
          .setServerConfig("auto_explain.log_min_duration", explain + "ms")
          .setServerConfig("auto_explain.log_nested_statements", "on")
          .setServerConfig("auto_explain.log_analyze", "on");
    }
    return builder;
  }
}
