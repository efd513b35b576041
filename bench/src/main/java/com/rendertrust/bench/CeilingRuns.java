package com.rendertrust.bench;

import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jooq.DSLContext;

/**
 * The PostgreSQL-alone ceilings of a jobs benchmark run: today's per-row lifecycle SQL and issue
 * 19's batched design, each in a database of its own (created and migrated by Flyway as the
 * server's is), with the ledger and job checks after each.
 */
final class CeilingRuns {

  /** One ceiling's figures, and what the checks after it found in its database. */
  record CeilingRun(LifecycleCeiling.Result result, List<String> violations, List<String> problems) {
  }

  private CeilingRuns() {
  }

  /** Runs each design in turn with {@code clients} pgbench clients for {@code seconds}. */
  static List<CeilingRun> run(List<LifecycleCeiling.Design> designs, EmbeddedPostgres postgres, Pgbench pgbench,
      CpuUse cpu, String price, int clients, int seconds) throws InterruptedException {
    List<CeilingRun> runs = new ArrayList<>();
    for (LifecycleCeiling.Design design : designs) {
      runs.add(run(design, postgres, pgbench, cpu, price, clients, seconds));
    }
    return runs;
  }

  private static CeilingRun run(LifecycleCeiling.Design design, EmbeddedPostgres postgres, Pgbench pgbench,
      CpuUse cpu, String price, int clients, int seconds) throws InterruptedException {
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + design.database());
    } catch (SQLException e) {
      throw new IllegalStateException("creating the ceiling's database " + design.database() + " failed", e);
    }
    String url = postgres.getJdbcUrl("postgres", design.database());
    try (Database database = Database.open(url, "postgres", null, 2)) {
      DSLContext db = database.dsl();
      LifecycleCeiling ceiling = new LifecycleCeiling(design, db, pgbench, cpu, JobsConfig.parseCredits(price),
          CreditsConfig.defaults().operatorSharePercent());
      System.err.printf("PostgreSQL alone, %s, %d clients, %d s%n", design.name(), clients, seconds);
      LifecycleCeiling.Result result = ceiling.measure(clients, seconds);
      List<String> problems = ceiling.unfinishedJobs();
      List<String> violations = ceiling.ledgerViolations().stream()
          .map(violation -> design.database() + " database: " + violation).toList();
      return new CeilingRun(result, violations, problems);
    }
  }

  static void printRow(LifecycleCeiling.Result ceiling, double goal) {
    System.out.printf(Locale.ROOT, "| PostgreSQL alone, %s (%d transactions per run, %d clients), ceiling "
            + "| %.0f lifecycles/s | >= %.0f | %s |%n", ceiling.design().name(), ceiling.shape().transactions(),
        ceiling.clients(), ceiling.lifecyclesPerSecond(), goal, ceiling.lifecyclesPerSecond() >= goal ? "PASS" : "MISS");
  }

  static void printCpu(LifecycleCeiling.Result ceiling) {
    CpuUse.Window cpu = ceiling.cpu();
    System.out.printf(Locale.ROOT, "ceiling: %s, %d SQL statements in %d transactions per run of %d lifecycle(s) "
            + "(BEGIN/COMMIT not counted), pgbench -M prepared, %d clients, %d s; CPU over %.1f s of it (cores): "
            + "PostgreSQL %.2f, pgbench %.2f, this JVM %.2f, other processes %.2f, idle %.2f; "
            + "PostgreSQL %.2f ms per lifecycle%n",
        Path.of("").toAbsolutePath().relativize(ceiling.script()), ceiling.shape().statements(),
        ceiling.shape().transactions(), ceiling.design().batch(), ceiling.clients(), ceiling.seconds(), cpu.seconds(),
        cpu.postgresCores(), ceiling.pgbenchCores(), cpu.jvmCores(), cpu.otherCores(), cpu.idleCores(),
        ceiling.postgresMsPerLifecycle());
  }
}
