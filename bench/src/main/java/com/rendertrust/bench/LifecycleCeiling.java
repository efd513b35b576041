package com.rendertrust.bench;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.LedgerInvariants;
import com.rendertrust.server.credits.SystemAccounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.DSLContext;

/**
 * The ceiling for job lifecycles/s on this machine: PostgreSQL alone executing the SQL of one
 * priced lifecycle (bench/sql/lifecycle.sql: submit, accept, finish with capture, 3 transactions)
 * per pgbench transaction, against the real schema, with no JVM in the way. Whatever the control
 * plane adds (gRPC, the nodes' streams, jOOQ, the extra reads and transactions the server makes)
 * can only bring the through-the-server figure below this one.
 *
 * <p>It runs in a database of its own ({@link Design#database}) on the same PostgreSQL, migrated by
 * Flyway like the server's: its fixture and jobs stay out of the server's tables, and the ledger
 * checks after it cover exactly what the script wrote.
 *
 * <p>The fixture: user n (one per pgbench client, the script picks {@code client_id + 1}) owns a
 * USER account funded through the ledger (an ADJUSTMENT posted by credit_post, like the server's
 * adjust), and {@link #NODES} HEALTHY verified nodes with an open stream and {@link #SLOTS} slots
 * each have their own operator with an earnings account. Ids follow the script's scheme.
 */
final class LifecycleCeiling {

  /**
   * A ceiling script and the database it runs in. {@code batch}: lifecycles per script run (the
   * per-row script does one).
   */
  record Design(String name, String database, Path script, int batch) {

    /** Today's design, one lifecycle per statement ({@code -Drt.bench.lifecycleSql=<file>} measures a variant). */
    static Design perRow() {
      return new Design("one lifecycle's SQL per pgbench transaction", "ceiling",
          Path.of(System.getProperty("rt.bench.lifecycleSql", "bench/sql/lifecycle.sql")).toAbsolutePath(), 1);
    }

    /**
     * Issue 19's design: {@code batch} lifecycles per statement, the operators' and platform's
     * shares aggregated ({@code -Drt.bench.batchedSql=<file>} measures a variant with the same
     * parameters, e.g. bench/sql/lifecycle-lean.sql).
     */
    static Design batched(int batch) {
      if (batch < 1) {
        throw new IllegalArgumentException("a batch has at least one lifecycle, got " + batch);
      }
      String variant = System.getProperty("rt.bench.batchedSql");
      return new Design((variant == null ? "batched design, " : "batched design as " + variant + ", ") + batch
          + " lifecycles per statement", "ceiling_batched",
          Path.of(variant == null ? "bench/sql/lifecycle-batched.sql" : variant).toAbsolutePath(), batch);
    }
  }

  static final int NODES = 8;
  static final int SLOTS = 256;

  private static final long FUNDS = CreditAmount.ofCredits(100_000).units();
  /** Reading CPU starts this long after pgbench did (its connections are up) and ends this long before its end. */
  private static final Duration CPU_MARGIN = Duration.ofSeconds(2);

  /** What one run measured; the per-lifecycle CPU is PostgreSQL's (postmaster and backends) in the CPU window. */
  record Result(Design design, int clients, int seconds, double lifecyclesPerSecond, CpuUse.Window cpu,
      double pgbenchCores, ScriptShape shape) {

    Path script() {
      return design.script();
    }

    double postgresMsPerLifecycle() {
      return cpu.postgresCores() * 1000 / Math.max(lifecyclesPerSecond, 1e-9);
    }
  }

  /** The script's SQL statements (BEGIN and COMMIT not counted) and the transactions they form. */
  record ScriptShape(int statements, int transactions) {
  }

  private final DSLContext db;
  private final Pgbench pgbench;
  private final CpuUse cpu;
  private final Design design;
  /** The script pgbench runs (see {@link #spliced}). */
  private final Path runnable;
  private final long price;
  private final int operatorSharePercent;
  private int users;

  LifecycleCeiling(Design design, DSLContext db, Pgbench pgbench, CpuUse cpu, long price, int operatorSharePercent) {
    this.design = design;
    this.db = db;
    this.pgbench = pgbench;
    this.cpu = cpu;
    this.price = price;
    this.operatorSharePercent = operatorSharePercent;
    if (!Files.isReadable(design.script())) {
      throw new IllegalStateException("lifecycle script not found: " + design.script() + " (run from the repository root)");
    }
    this.runnable = spliced(design.script());
  }

  private static final Pattern SPLICE = Pattern.compile("(?m)^-- splice: (\\S+) from \"(.+)\"$");

  /**
   * The script pgbench runs: {@code script} itself, or, where it has a line {@code -- splice:
   * <file> from "<marker>"}, a copy with that line replaced by {@code <file>} (next to the script)
   * from its first line starting with {@code <marker>} to its end. A variant shares the statements
   * it does not change that way (bench/sql/lifecycle-lean.sql, the batched design's money).
   */
  static Path spliced(Path script) {
    try {
      String text = Files.readString(script);
      Matcher splice = SPLICE.matcher(text);
      if (!splice.find()) {
        return script;
      }
      String other = Files.readString(script.resolveSibling(splice.group(1)));
      Matcher from = Pattern.compile("(?m)^" + Pattern.quote(splice.group(2))).matcher(other);
      if (!from.find()) {
        throw new IllegalStateException(splice.group(1) + " has no line starting with " + splice.group(2));
      }
      Path copy = Files.createTempFile("lifecycle-", ".sql");
      copy.toFile().deleteOnExit();
      Files.writeString(copy, text.substring(0, splice.start()) + other.substring(from.start()));
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates the nodes and operators once, and funded users up to {@code clients} batches. */
  void prepare(int clientCount) {
    int clients = clientCount * design.batch(); // a batch's lifecycles are of different users
    if (clients > NODES * SLOTS) {
      throw new IllegalArgumentException("at most " + NODES * SLOTS + " lifecycles at once: each holds a slot");
    }
    for (int n = users + 1; n <= clients; n++) {
      // The script derives the job_holds / platform revenue shard as n % 16: the server's rule must agree.
      UUID user = id("8000", n);
      if (!SystemAccounts.jobHoldsFor(user).equals(new UUID(0, (2L << 48) | (n % SystemAccounts.SHARDS)))) {
        throw new IllegalStateException("user " + user + " is not in shard " + n % SystemAccounts.SHARDS);
      }
    }
    if (users == 0) {
      db.execute("""
          INSERT INTO credit_accounts (id, kind, owner_id)
          SELECT ('00000000-0000-4000-8004-' || lpad(to_hex(n), 12, '0'))::uuid, 'OPERATOR_EARNINGS',
                 ('00000000-0000-4000-8003-' || lpad(to_hex(n), 12, '0'))::uuid
            FROM generate_series(1, ?) n""", NODES);
      db.execute("""
          INSERT INTO nodes (id, name, public_key, public_key_raw, capabilities, metadata, status, verified, verified_at,
                             operator_user_id, last_heartbeat_at, slots, stream_session, connected_at, agent_version,
                             created_at, updated_at)
          SELECT ('00000000-0000-4000-8002-' || lpad(to_hex(n), 12, '0'))::uuid, 'ceiling-node-' || n,
                 'pgbench fixture', lpad(to_hex(n), 64, 'c'), ARRAY['echo'], jsonb_build_object(), 'HEALTHY', true, now(),
                 ('00000000-0000-4000-8003-' || lpad(to_hex(n), 12, '0'))::uuid,
                 -- no stream of this JVM holds them: a heartbeat ahead keeps the sweeper from taking them offline
                 now() + interval '1 day', ?, gen_random_uuid(), now(), 'pgbench', now(), now()
            FROM generate_series(1, ?) n""", SLOTS, NODES);
    }
    if (clients > users) {
      db.execute("""
          INSERT INTO credit_accounts (id, kind, owner_id)
          SELECT ('00000000-0000-4000-8001-' || lpad(to_hex(n), 12, '0'))::uuid, 'USER',
                 ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid
            FROM generate_series(?, ?) n""", users + 1, clients);
      db.fetch("""
          SELECT p.entry_id
            FROM generate_series(?, ?) n,
                 LATERAL credit_post(gen_random_uuid(), ?::uuid,
                                     ('00000000-0000-4000-8001-' || lpad(to_hex(n), 12, '0'))::uuid, ?, 'ADJUSTMENT',
                                     'ADMIN', ('00000000-0000-4000-8001-' || lpad(to_hex(n), 12, '0'))::uuid,
                                     'bench-ceiling-seed', 'benchmark funds', gen_random_uuid(), gen_random_uuid()) p""",
          users + 1, clients, SystemAccounts.ADJUSTMENTS, FUNDS);
      users = clients;
    }
  }

  Result measure(int clients, int seconds) throws InterruptedException {
    // No VACUUM ANALYZE first: on the still empty jobs and ledger tables it records 0 rows, the
    // prepared statements' and plpgsql's cached plans then scan whole tables as they grow (a
    // lifecycle cost 10 ms of CPU that way); autovacuum's analyze keeps the statistics in step.
    prepare(clients);
    Pgbench.ScriptRun run = pgbench.startScript(runnable, design.database(), clients, seconds, Map.of("nodes",
        Integer.toString(NODES), "price", Long.toString(price), "operator_percent", Integer.toString(operatorSharePercent),
        "batch", Integer.toString(design.batch())));
    boolean margins = seconds > 3 * CPU_MARGIN.toSeconds();
    Duration margin = margins ? CPU_MARGIN : Duration.ZERO;
    Thread.sleep(margin.toMillis());
    CpuUse.Reading start = cpu.read();
    long pgbenchStart = cpuNanos(run.process());
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) - 2 * margin.toMillis());
    CpuUse.Reading end = cpu.read();
    long pgbenchEnd = cpuNanos(run.process());
    double lifecyclesPerSecond = run.tps() * design.batch();
    CpuUse.Window window = CpuUse.between(start, end);
    double pgbenchCores = (pgbenchEnd - pgbenchStart) / (window.seconds() * 1e9);
    // pgbench's own CPU is in "other processes" of the window; take it out.
    CpuUse.Window cpuUse = new CpuUse.Window(window.seconds(), window.jvmCores(), window.postgresCores(),
        Math.max(0, window.otherCores() - pgbenchCores), window.idleCores(), window.jitCores());
    return new Result(design, clients, seconds, lifecyclesPerSecond, cpuUse, pgbenchCores, shape());
  }

  /** The server's ledger invariants in the ceiling's database. */
  List<String> ledgerViolations() {
    return new LedgerInvariants(db).violations();
  }

  /** Jobs not COMPLETED with their hold captured: a script run pgbench cut short would leave some. */
  List<String> unfinishedJobs() {
    List<String> problems = new ArrayList<>();
    db.fetch("""
        SELECT j.status, j.settlement, coalesce(h.status, 'no hold') AS hold, count(*)
          FROM jobs j LEFT JOIN credit_holds h ON h.job_id = j.id
         WHERE NOT (j.status = 'COMPLETED' AND j.settlement = 'CAPTURED' AND h.status = 'CAPTURED')
         GROUP BY 1, 2, 3""")
        .forEach(row -> problems.add("pgbench lifecycles: " + row.get(3) + " jobs ended " + row.get(0)
            + " / settlement " + row.get(1) + " / hold " + row.get(2)));
    long activeSlots = db.fetchOne("SELECT coalesce(sum(active_jobs), 0) FROM nodes")
        .get(0, Long.class);
    if (activeSlots != 0) {
      problems.add("pgbench lifecycles: " + activeSlots + " node slots still taken");
    }
    return problems;
  }

  ScriptShape shape() {
    try {
      return shapeOf(Files.readString(runnable));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Counts SQL commands (ended by ';' or a \gset) and the transactions they form (BEGIN..COMMIT, or one alone). */
  static ScriptShape shapeOf(String text) {
    StringBuilder sql = new StringBuilder();
    int conditional = 0; // statements under \if run only now and then (the batched design's accrual): not counted
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("\\if")) {
        conditional++;
      } else if (trimmed.startsWith("\\endif")) {
        conditional--;
      }
      if (trimmed.startsWith("--") || (trimmed.startsWith("\\") && !trimmed.equals("\\gset")) || conditional > 0) {
        continue;
      }
      sql.append(line.replace("\\gset", ";")).append('\n');
    }
    int statements = 0;
    int transactions = 0;
    boolean inTransaction = false;
    for (String command : sql.toString().split(";")) {
      String word = command.strip().toUpperCase(Locale.ROOT);
      if (word.isEmpty()) {
        continue;
      }
      if (word.equals("BEGIN")) {
        inTransaction = true;
        transactions++;
      } else if (word.equals("COMMIT")) {
        inTransaction = false;
      } else {
        statements++;
        if (!inTransaction) {
          transactions++;
        }
      }
    }
    return new ScriptShape(statements, transactions);
  }

  private static long cpuNanos(ProcessHandle process) {
    return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static UUID id(String group, int n) {
    return UUID.fromString(String.format("00000000-0000-4000-%s-%012x", group, n));
  }
}
