package com.rendertrust.bench;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.LedgerInvariants;
import com.rendertrust.server.auth.SigningKeys;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * Deduct RPC throughput next to pgbench's built-in tpcb-like script, on the same embedded
 * PostgreSQL, in the same run. Both sides hit one hot row per transaction (pgbench: its single
 * branch at scale 1; deductions: the platform revenue account), each deduction is one money
 * movement (transfer + two entries + the balance updates and guards of migration V3) behind the
 * full gRPC interceptor pipeline.
 *
 * <p>Usage: {@code bench/run-deduct.sh [--clients 8,16,32] [--seconds 20] [--warmup 5]
 * [--scale 1] [--pool 32] [--durable]}. Report-only numbers: the driver, the server and
 * PostgreSQL share the machine.
 */
public final class DeductBenchmark {

  private record Options(List<Integer> clients, int seconds, int warmup, int scale, int pool, boolean durable) {

    static Options parse(String[] args) {
      List<Integer> clients = List.of(8, 16, 32);
      int seconds = 20;
      int warmup = 5;
      int scale = 1;
      int pool = 32;
      boolean durable = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--clients" -> clients = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
          case "--seconds" -> seconds = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--scale" -> scale = Integer.parseInt(args[++i]);
          case "--pool" -> pool = Integer.parseInt(args[++i]);
          case "--durable" -> durable = true;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return new Options(clients, seconds, warmup, scale, pool, durable);
    }
  }

  /** One client count's figures; {@code batched}: what the server's group commit of deductions wrote meanwhile. */
  private record Row(int clients, DeductLoad.Result deduct, GroupCommit.Written batched, double pgbenchTps) {
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path dataDir = Files.createTempDirectory("rendertrust-bench");
    EmbeddedPostgres.Builder postgresBuilder = EmbeddedPostgres.builder()
        .setServerConfig("max_connections", "300")
        .setServerConfig("shared_buffers", "256MB");
    if (options.durable()) {
      postgresBuilder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    try (EmbeddedPostgres postgres = postgresBuilder.start()) {
      Pgbench pgbench = Pgbench.find(postgres.getPort()).orElseThrow(() -> new IllegalStateException(
          "pgbench not found: install postgresql-client or set RT_BENCH_PGBENCH"));
      ServerConfig config = new ServerConfig("bench", 0, dataDir, Optional.of(postgres.getJdbcUrl("postgres", "postgres")),
          Optional.of("postgres"), Optional.empty(), options.pool(), Optional.empty(), 1024 * 1024,
          Duration.ofSeconds(30), Duration.ofSeconds(5),
          AuthConfig.defaults().withPrivateJwk(SigningKeys.generatePrivateJwk()),
          ChainConfig.disabled(), CreditsConfig.defaults(), JobsConfig.defaults(), StorageConfig.defaults());
      try (ControlPlane controlPlane = ControlPlane.start(config)) {
        Server grpc = controlPlane.bindTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .executor(Executors.newVirtualThreadPerTaskExecutor()))
            .build().start();
        try {
          List<Row> rows = measure(options, controlPlane, grpc.getPort(), pgbench);
          List<String> violations = new LedgerInvariants(controlPlane.database().dsl()).violations();
          print(options, pgbench, rows, violations);
        } finally {
          grpc.shutdownNow();
        }
      }
    } finally {
      deleteQuietly(dataDir);
    }
  }

  private static List<Row> measure(Options options, ControlPlane controlPlane, int port, Pgbench pgbench)
      throws InterruptedException {
    int maxClients = options.clients().stream().mapToInt(Integer::intValue).max().orElse(1);
    List<UUID> users = new ArrayList<>();
    java.util.Map<UUID, String> tokens = new java.util.HashMap<>();
    for (int i = 0; i < maxClients; i++) {
      UUID user = UUID.randomUUID();
      controlPlane.credits().adjust(user, CreditAmount.ofCredits(1_000_000), "bench-seed", "benchmark funds");
      users.add(user);
      tokens.put(user, controlPlane.identity().tokens().issueAccess(user, UUID.randomUUID(), Role.USER).value());
    }
    DeductLoad load = new DeductLoad(port, users, tokens);
    System.err.printf("warming up the server for %d s%n", options.warmup() * 2);
    load.run(maxClients, Duration.ofSeconds(options.warmup() * 2L), "warmup");

    System.err.printf("initialising pgbench (scale %d)%n", options.scale());
    pgbench.initialize(options.scale());

    List<Row> rows = new ArrayList<>();
    for (int clients : options.clients()) {
      load.run(clients, Duration.ofSeconds(options.warmup()), "warm" + clients);
      System.err.printf("deduct over gRPC, %d clients, %d s%n", clients, options.seconds());
      GroupCommit.Written before = controlPlane.credits().batchedDeductions();
      DeductLoad.Result deduct = load.run(clients, Duration.ofSeconds(options.seconds()), "run" + clients);
      GroupCommit.Written batched = controlPlane.credits().batchedDeductions().since(before);
      System.err.printf("pgbench tpcb-like, %d clients, %d s%n", clients, options.seconds());
      double tps = pgbench.tpcbLike(clients, options.seconds());
      rows.add(new Row(clients, deduct, batched, tps));
    }
    return rows;
  }

  private static void print(Options options, Pgbench pgbench, List<Row> rows, List<String> violations) {
    System.out.printf(Locale.ROOT, "Deduct RPC vs pgbench tpcb-like on the same embedded PostgreSQL 17 (%s)%n",
        options.durable() ? "fsync and synchronous_commit on" : "fsync off, as in tests and zonky's default");
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, %s; pgbench scale %d, server DB pool %d, %d s per run%n",
        Runtime.getRuntime().availableProcessors(), Runtime.version(), pgbench.version(), options.scale(),
        options.pool(), options.seconds());
    System.out.println();
    System.out.println("| clients | deductions/s (gRPC) | failed | per batch | ms per batch | pgbench tpcb-like tps | ratio |");
    System.out.println("|--------:|--------------------:|-------:|----------:|-------------:|----------------------:|------:|");
    for (Row row : rows) {
      GroupCommit.Written batched = row.batched();
      System.out.printf(Locale.ROOT, "| %d | %.0f | %d | %.1f | %.2f | %.0f | %.2f |%n", row.clients(),
          row.deduct().perSecond(), row.deduct().failed(),
          batched.batches() == 0 ? 0.0 : (double) batched.items() / batched.batches(), batched.millisPerBatch(),
          row.pgbenchTps(), row.deduct().perSecond() / row.pgbenchTps());
    }
    System.out.println();
    System.out.println(violations.isEmpty()
        ? "ledger invariants after the run: all hold"
        : "LEDGER INVARIANT VIOLATIONS:\n  " + String.join("\n  ", violations));
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory; the OS cleans it eventually
    }
  }
}
