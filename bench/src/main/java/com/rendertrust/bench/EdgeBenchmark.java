package com.rendertrust.bench;

import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.GetBalanceResponse;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.config.JobsConfig;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The same RPC, {@code CreditService.GetBalance}, over native gRPC (h2c) and over the transcoded
 * REST/JSON path ({@code GET /api/v1/credits/balance}, HTTP/1.1 keep-alive) on the server's one
 * Armeria port, in the same run, with the same closed-loop clients: one user, one access token
 * and one connection per client and protocol. The phases alternate (gRPC, REST, gRPC, REST...)
 * so that load from other processes falls on both alike; each phase is preceded by a warm-up.
 *
 * <p>Every REST answer is checked (200, the JSON body names the caller's user id); a failed call
 * is counted and not included in the rate. Last line: {@code grpc_rps=G rest_rps=R ratio=R/G}.
 * Usage: {@code bench/run-edge.sh [--clients 16] [--seconds 10] [--warmup 10] [--rounds 2] [--pool 32]}.
 */
public final class EdgeBenchmark {

  private static final double RATIO_GOAL = 0.7;

  private record Options(int clients, int seconds, int warmup, int rounds, int pool) {

    static Options parse(String[] args) {
      int clients = 16;
      int seconds = 10;
      int warmup = 10;
      int rounds = 2;
      int pool = 32;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--clients" -> clients = Integer.parseInt(args[++i]);
          case "--seconds" -> seconds = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--pool" -> pool = Integer.parseInt(args[++i]);
          default -> throw new IllegalArgumentException(
              "unknown option " + args[i] + " (bench/run-edge.sh [--clients 16] [--seconds 10] [--warmup 10] "
                  + "[--rounds 2] [--pool 32])");
        }
      }
      return new Options(clients, seconds, warmup, rounds, pool);
    }
  }

  /** One client's call: true when the answer was a correct balance. */
  private interface Call {
    boolean call() throws IOException;
  }

  private record Phase(long ok, long failed, double seconds) {
    double perSecond() {
      return ok / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dataDir = Files.createTempDirectory("rendertrust-bench");
    int exit;
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
        ControlPlane controlPlane = ControlPlane.start(
            BenchSetup.serverConfig(dataDir, postgres, options.pool(), JobsConfig.defaults()))) {
      exit = run(options, controlPlane, loadAtStart);
    } finally {
      BenchSetup.deleteQuietly(dataDir);
    }
    System.exit(exit);
  }

  private static int run(Options options, ControlPlane controlPlane, double loadAtStart) throws Exception {
    int port = controlPlane.httpPort();
    List<UUID> users = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < options.clients(); i++) {
      UUID user = UUID.randomUUID();
      controlPlane.credits().adjust(user, CreditAmount.ofCredits(1_000), "bench-seed", "benchmark funds");
      users.add(user);
      tokens.add(controlPlane.identity().tokens().issueAccess(user, UUID.randomUUID(), Role.USER).value());
    }
    List<ManagedChannel> channels = new ArrayList<>();
    List<Call> grpc = new ArrayList<>();
    List<RestClient> rest = new ArrayList<>();
    try {
      for (int i = 0; i < options.clients(); i++) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(channel);
        CreditServiceGrpc.CreditServiceBlockingStub stub = CreditServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(tokens.get(i))));
        String userId = users.get(i).toString();
        grpc.add(() -> {
          try {
            GetBalanceResponse balance = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                .getBalance(GetBalanceRequest.getDefaultInstance());
            return balance.getUserId().equals(userId);
          } catch (StatusRuntimeException e) {
            return false;
          }
        });
        rest.add(new RestClient(port, "/api/v1/credits/balance", tokens.get(i), userId));
      }
      List<Call> restCalls = new ArrayList<>(rest.stream().map(client -> (Call) client::get).toList());
      long grpcOk = 0;
      long grpcFailed = 0;
      double grpcSeconds = 0;
      long restOk = 0;
      long restFailed = 0;
      double restSeconds = 0;
      for (int round = 1; round <= options.rounds(); round++) {
        System.err.printf("round %d of %d: gRPC (%d s warm-up, %d s measured)%n", round, options.rounds(),
            options.warmup(), options.seconds());
        closedLoop(grpc, options.warmup());
        Phase g = closedLoop(grpc, options.seconds());
        System.err.printf("round %d of %d: REST (%d s warm-up, %d s measured)%n", round, options.rounds(),
            options.warmup(), options.seconds());
        closedLoop(restCalls, options.warmup());
        Phase r = closedLoop(restCalls, options.seconds());
        System.out.printf(Locale.ROOT, "round %d: gRPC %.0f calls/s (%d failed), REST %.0f calls/s (%d failed), "
            + "ratio %.2f%n", round, g.perSecond(), g.failed(), r.perSecond(), r.failed(), r.perSecond() / g.perSecond());
        grpcOk += g.ok();
        grpcFailed += g.failed();
        grpcSeconds += g.seconds();
        restOk += r.ok();
        restFailed += r.failed();
        restSeconds += r.seconds();
      }
      double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      double grpcRps = grpcOk / grpcSeconds;
      double restRps = restOk / restSeconds;
      double ratio = restRps / grpcRps;
      System.out.printf(Locale.ROOT, "GetBalance over one Armeria port: native gRPC (h2c) vs transcoded REST/JSON "
              + "(HTTP/1.1 keep-alive); %d closed-loop clients per protocol, one connection each, %d rounds of %d s "
              + "per protocol after %d s warm-up each%n", options.clients(), options.rounds(), options.seconds(),
          options.warmup());
      System.out.printf(Locale.ROOT, "machine: %d cores, Java %s; load average %.2f at start, %.2f at end "
              + "(a shared machine: compare only figures of one run)%n",
          Runtime.getRuntime().availableProcessors(), Runtime.version(), loadAtStart, loadAtEnd);
      System.out.printf(Locale.ROOT, "failed calls: gRPC %d, REST %d; ratio goal >= %.1f: %s%n", grpcFailed, restFailed,
          RATIO_GOAL, ratio >= RATIO_GOAL ? "PASS" : "MISS");
      System.out.printf(Locale.ROOT, "grpc_rps=%.0f rest_rps=%.0f ratio=%.2f%n", grpcRps, restRps, ratio);
      return grpcFailed + restFailed == 0 ? 0 : 1;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      rest.forEach(RestClient::close);
    }
  }

  /** Every call of {@code calls} on its own platform thread, as fast as answers come, for {@code seconds}. */
  private static Phase closedLoop(List<Call> calls, int seconds) throws InterruptedException {
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    long[] deadline = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      threads.add(Thread.ofPlatform().name("edge-client-" + i).start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        while (System.nanoTime() < deadline[0]) {
          boolean answered;
          try {
            answered = call.call();
          } catch (IOException | RuntimeException e) {
            answered = false;
          }
          (answered ? ok : failed).incrementAndGet();
        }
      }));
    }
    long started = System.nanoTime();
    deadline[0] = started + Duration.ofSeconds(seconds).toNanos();
    start.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    return new Phase(ok.get(), failed.get(), (System.nanoTime() - started) / 1e9);
  }
}
