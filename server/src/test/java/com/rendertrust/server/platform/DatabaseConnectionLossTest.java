package com.rendertrust.server.platform;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, finding 5: PostgreSQL sessions terminated ({@code pg_terminate_backend}) while
 * requests run. Every path answers success or 503 DEPENDENCY_UNAVAILABLE, never 500; clients
 * that retry with the same idempotency key or reference are charged once; the ledger holds.
 */
class DatabaseConnectionLossTest {

  private static final long CHAOS_MILLIS = 4_000;
  private static final String JOB_TYPE = "priced-under-fire"; // the fallback price: 1 credit
  private TestServer server;

  @Test
  void killedSessionsAnswer503OrSuccessNeverInternalErrorAndChargeOnce() throws Exception {
    try (TestServer started = JobsTesting.start()) {
      server = started;
      underFire(JobLedger.of(started));
    }
  }

  private void underFire(JobLedger ledger) throws Exception {
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 100_000_000L); // 10 000 credits
    TestNode.Stream node = TestNode.ready(server.channel(), "fault-node", List.of(JOB_TYPE))
        .connect(server.channel(), 256);
    node.welcome();
    String firstJob = jobIdOf(untilNot503(() -> dispatch(user, "warm-up")));

    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    Set<String> jobKeys = ConcurrentHashMap.newKeySet();
    Set<String> deductRefs = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    AtomicBoolean chaos = new AtomicBoolean(true);
    AtomicInteger requests = new AtomicInteger();
    int killed;
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<Integer> killer = threads.submit(() -> killSessionsWhile(chaos));
      List<Future<?>> workers = new java.util.ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int worker = w;
        workers.add(threads.submit(() -> {
          for (int i = 0; chaos.get(); i++) {
            int n = requests.incrementAndGet();
            HttpResponse<String> response = switch ((worker + i) % 4) {
              case 0 -> { // the path of the probe's 500: findByKey, then the hold and slot transaction
                String key = "job-" + n;
                jobKeys.add(key);
                yield dispatch(user, key);
              }
              case 1 -> server.get("/api/v1/jobs/" + firstJob, "Authorization", userBearer(server, user));
              case 2 -> server.get("/api/v1/credits/balance", "Authorization", userBearer(server, user));
              default -> {
                String reference = "deduct-" + n;
                deductRefs.add(reference);
                yield deduct(user, reference);
              }
            };
            statuses.computeIfAbsent(response.statusCode(), code -> new AtomicInteger()).incrementAndGet();
            if (response.statusCode() != 200 && response.statusCode() != 503) {
              unexpected.add(response.statusCode() + " " + response.body());
            }
            if (response.statusCode() == 503) {
              assertThat(Json.parse(response.body()).get("detail").asText()).doesNotContain("SQL", "PSQL", "jooq");
            }
          }
          return null;
        }));
      }
      Thread.sleep(CHAOS_MILLIS);
      chaos.set(false);
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
      killed = killer.get(10, TimeUnit.SECONDS);
    }

    assertThat(killed).as("sessions terminated during the requests").isGreaterThan(10);
    assertThat(unexpected).as("statuses: " + statuses).isEmpty();

    // Clients retry what answered 503 with the same key or reference: each counts once.
    for (String key : jobKeys) {
      assertThat(untilNot503(() -> dispatch(user, key)).statusCode()).isEqualTo(200);
    }
    for (String reference : deductRefs) {
      assertThat(untilNot503(() -> deduct(user, reference)).statusCode()).isEqualTo(200);
    }
    var dsl = server.controlPlane().database().dsl();
    assertThat(dsl.fetchCount(JOBS, JOBS.USER_ID.eq(user))).isEqualTo(jobKeys.size() + 1);
    assertThat(ledger.holdCount()).as("one hold per job").isEqualTo(jobKeys.size() + 1);
    assertThat(dsl.fetchSingle("SELECT count(*), count(DISTINCT reference_id) FROM credit_transfers"
        + " WHERE source = 'USAGE' AND reference_id LIKE 'deduct-%'").intoList())
        .containsExactly((long) deductRefs.size(), (long) deductRefs.size());
    long charged = 10_000L * (jobKeys.size() + 1) + 100L * deductRefs.size();
    assertThat(ledger.available(user)).isEqualTo(100_000_000L - charged);
    ledger.checkInvariants();
  }

  private HttpResponse<String> dispatch(UUID user, String key) {
    return server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"" + JOB_TYPE + "\",\"idempotency_key\":\"" + key + "\"}",
        "Authorization", userBearer(server, user));
  }

  private HttpResponse<String> deduct(UUID user, String reference) {
    return server.postJson("/api/v1/credits/deduct",
        "{\"amount\":\"0.0100\",\"reference_id\":\"" + reference + "\",\"description\":\"under fire\"}",
        "Authorization", userBearer(server, user));
  }

  private static String jobIdOf(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body()).get("job_id").asText();
  }

  private static HttpResponse<String> untilNot503(Supplier<HttpResponse<String>> call) throws InterruptedException {
    for (int attempt = 0; attempt < 50; attempt++) {
      HttpResponse<String> response = call.get();
      if (response.statusCode() != 503) {
        return response;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("still 503 after 50 attempts");
  }

  /** Terminates every other session of the test database, over and over; returns how many. */
  private int killSessionsWhile(AtomicBoolean chaos) throws Exception {
    int killed = 0;
    try (Connection admin = DriverManager.getConnection(server.config().databaseUrl().orElseThrow());
        Statement statement = admin.createStatement()) {
      while (chaos.get()) {
        try (ResultSet result = statement.executeQuery("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'""")) {
          result.next();
          killed += result.getInt(1);
        }
        Thread.sleep(25);
      }
    }
    return killed;
  }
}
