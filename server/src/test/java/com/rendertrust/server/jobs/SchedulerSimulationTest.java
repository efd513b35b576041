package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.CREDIT_HOLDS;
import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.nodes.NodeHello;
import com.rendertrust.server.nodes.NodeRegistration;
import com.rendertrust.server.nodes.NodeService;
import com.rendertrust.server.nodes.RegisteredNode;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.PerJobType;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.storage.LocalResultStore;
import com.rendertrust.server.credits.Hold;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.testing.FlakyJobBilling;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A seeded simulation of the scheduler against the real SQL on real PostgreSQL: nodes with
 * random capabilities and slots accept, finish, fail, vanish, come back with or without their
 * jobs and send stale reports; users submit, retry and cancel; billing calls fail now and then;
 * time jumps and the sweeper runs. Everything runs on the test thread (the queue pass on a
 * direct executor), so the sequence of events is fixed by the seed.
 *
 * <p>After every step: each node's slot count equals the jobs it holds, no job is held under two
 * assignments, every active job's assignment is its one open assignment, and no credit is created
 * or lost. After the faults stop: every job ends, every hold is resolved exactly as its job
 * ended (completed = captured, otherwise released), in every billing round of a manually retried
 * job, and each job's {@code charged} is exactly what its rounds captured. Failures are typed:
 * INVALID_INPUT fails the job at once, the others are retried with the failed node avoided.
 */
class SchedulerSimulationTest {

  /** Steps per seed; {@code -Dsim.steps=...} and {@code -Dsim.seed=...} run longer or replay one seed. */
  private static final int STEPS = Integer.getInteger("sim.steps", 300);
  private static final List<String> TYPES = List.of("render", "inference", "cpu_benchmark", "echo", "generic");

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1L, 42L})
  void noJobIsLostOrRunTwiceAndNoCreditIsLostOrDoubled(long defaultSeed) {
    long seed = Long.getLong("sim.seed", defaultSeed);
    try (Database database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4)) {
      new Simulation(seed, database).run();
    }
  }

  private static final class Simulation {
    private final Database database;
    private final SplittableRandom random;
    private final MutableClock clock = new MutableClock();
    private final FlakyJobBilling billing;
    private final JobLedger ledger;
    private final JobsConfig config;
    private final NodeService nodes;
    private final JobService jobs;
    private final JobLifecycle lifecycle;
    private final Sweeper sweeper;
    private final JobRetries retries;
    private final List<SimNode> fleet = new ArrayList<>();
    private final List<UUID> users = new ArrayList<>();
    private final List<UUID[]> seenAssignments = new ArrayList<>(); // {job, assignment, node}
    private final Map<UUID, UUID> jobOwners = new HashMap<>();

    Simulation(long seed, Database database) {
      this.database = database;
      this.random = new SplittableRandom(seed);
      this.billing = new FlakyJobBilling(new LedgerJobBilling(new JobHolds(database.dsl(), 70)));
      this.ledger = new JobLedger(database.dsl());
      JobsConfig d = JobsConfig.defaults();
      this.config = new JobsConfig(d.prices(),
          new PerJobType<>(Map.of("echo", Duration.ofMinutes(2)), Duration.ofMinutes(10)),
          Duration.ofMinutes(3), 3, Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofMinutes(5),
          Duration.ofSeconds(30), 3, Duration.ofMinutes(2), Duration.ofMinutes(10),
          Duration.ofHours(1), Duration.ofHours(1));
      LocalResultStore store;
      try {
        store = LocalResultStore.open(java.nio.file.Files.createTempDirectory("sim-store"), Optional.empty(),
            () -> URI.create("http://store"), clock, 1 << 20);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      JobScheduler scheduler = new JobScheduler(database, config, clock, NodeNotifier.NONE, Runnable::run);
      Settlements settlements = new Settlements(database, billing);
      this.lifecycle = new JobLifecycle(database, config, clock, scheduler, settlements, billing, NodeNotifier.NONE);
      this.jobs = new JobService(database, config, clock, billing, scheduler, settlements, NodeNotifier.NONE, store,
          StorageConfig.defaults(), store.signedRoutes());
      this.nodes = new NodeService(database, config, clock, nodeId -> "token");
      this.sweeper = new Sweeper(database, config, clock, lifecycle, scheduler, settlements, jobs);
      this.retries = new JobRetries(database, clock, billing, scheduler, settlements);
    }

    void run() {
      for (int i = 0; i < 6; i++) {
        fleet.add(new SimNode(randomCapabilities(), 1 + random.nextInt(3), random.nextInt(3) == 0));
      }
      for (int i = 0; i < 4; i++) {
        UUID user = UUID.randomUUID();
        ledger.deposit(user, random.nextLong(20_000, 400_000));
        users.add(user);
      }
      fleet.forEach(node -> node.connect(List.of()));
      for (int step = 0; step < STEPS; step++) {
        step();
        checkSafety();
      }
      settleDown();
    }

    private void step() {
      int dice = random.nextInt(100);
      SimNode node = fleet.get(random.nextInt(fleet.size()));
      if (dice < 25) {
        submit();
      } else if (dice < 40) {
        node.acceptOne();
      } else if (dice < 55) {
        node.finishOne(true);
      } else if (dice < 60) {
        node.finishOne(false);
      } else if (dice < 64) {
        staleReport(node);
      } else if (dice < 68) {
        node.disconnect();
      } else if (dice < 73) {
        node.reconnect(random.nextBoolean());
      } else if (dice < 80) {
        node.heartbeat();
      } else if (dice < 82) {
        cancel();
      } else if (dice < 84) {
        retry();
      } else if (dice < 87) {
        billing.failNext(1);
      } else {
        clock.advance(Duration.ofSeconds(random.nextInt(1, 150)));
        fleet.stream().filter(n -> n.session != null && random.nextInt(4) != 0).forEach(SimNode::heartbeat);
        sweeper.sweep();
      }
    }

    private void submit() {
      UUID user = users.get(random.nextInt(users.size()));
      String type = TYPES.get(random.nextInt(TYPES.size()));
      String priority = List.of("low", "normal", "high").get(random.nextInt(3));
      Optional<String> key = random.nextInt(5) == 0 ? Optional.of("key-" + random.nextInt(6)) : Optional.empty();
      try {
        String tier = List.of("economy", "standard", "priority", "").get(random.nextInt(4));
        DispatchOutcome outcome = jobs.submit(user, new JobSubmission(type, Optional.empty(), Optional.empty(),
            priority, random.nextInt(6) == 0, key, Optional.empty(), tier));
        jobOwners.putIfAbsent(outcome.jobId(), user);
      } catch (DomainException expected) {
        // 400 no healthy node, 402 insufficient credits, 409 key reused with another body
        assertThat(expected.reason().name()).isIn("NO_HEALTHY_NODE", "INSUFFICIENT_CREDITS", "IDEMPOTENCY_CONFLICT");
      }
    }

    private void cancel() {
      if (jobOwners.isEmpty()) {
        return;
      }
      List<UUID> ids = new ArrayList<>(jobOwners.keySet());
      UUID jobId = ids.get(random.nextInt(ids.size()));
      try {
        Job cancelled = jobs.cancel(jobOwners.get(jobId), jobId.toString());
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
      } catch (DomainException expected) {
        assertThat(expected.reason().name()).isEqualTo("JOB_NOT_CANCELLABLE");
      }
    }

    /** The owner retries a job: a FAILED one reruns under a new hold, anything else is 400. */
    private void retry() {
      if (jobOwners.isEmpty()) {
        return;
      }
      List<UUID> ids = new ArrayList<>(jobOwners.keySet());
      UUID jobId = ids.get(random.nextInt(ids.size()));
      try {
        Job retried = retries.retry(jobOwners.get(jobId), jobId.toString());
        assertThat(retried.status()).isIn(JobStatus.QUEUED, JobStatus.DISPATCHED);
      } catch (DomainException expected) {
        // not FAILED, credits short for the rerun, or its last settlement still pending (billing failing)
        assertThat(expected.reason().name()).isIn("JOB_NOT_RETRYABLE", "INSUFFICIENT_CREDITS", "DEPENDENCY_UNAVAILABLE");
      }
    }

    private void staleReport(SimNode node) {
      if (seenAssignments.isEmpty()) {
        return;
      }
      UUID[] old = seenAssignments.get(random.nextInt(seenAssignments.size()));
      JobsRecord before = job(old[0]);
      boolean current = old[1].equals(before.getAssignmentId()) && node.id.equals(old[2])
          && JobStatus.valueOf(before.getStatus()).isActive();
      if (current) {
        return; // not stale: that would be a legitimate report
      }
      ReportOutcome outcome = lifecycle.finished(node.id, old[0], old[1], random.nextBoolean(), "stale");
      assertThat(outcome).isNotEqualTo(ReportOutcome.APPLIED);
      JobsRecord after = job(old[0]);
      assertThat(after.getStatus()).isEqualTo(before.getStatus());
      assertThat(after.getAssignmentId()).isEqualTo(before.getAssignmentId());
    }

    /** Faults stop: nodes come back and work everything off; time passes until all is done. */
    private void settleDown() {
      fleet.forEach(node -> {
        if (node.session == null) {
          node.reconnect(true);
        }
      });
      for (int round = 0; round < 200 && unfinished() > 0; round++) {
        clock.advance(Duration.ofMinutes(1));
        fleet.forEach(SimNode::heartbeat);
        sweeper.sweep();
        for (SimNode node : fleet) {
          node.acceptAll();
          node.finishAll();
        }
        checkSafety();
      }
      clock.advance(Duration.ofMinutes(1));
      sweeper.sweep();
      checkSafety();
      assertThat(unfinished()).as("jobs still queued or running after the faults stopped").isZero();
      for (JobsRecord job : dsl().selectFrom(JOBS).fetch()) {
        JobStatus status = JobStatus.valueOf(job.getStatus());
        assertThat(status.isTerminal()).isTrue();
        Optional<Hold> hold = ledger.hold(job.getId());
        if (job.getPrice() == 0) {
          assertThat(hold).isEmpty();
          continue;
        }
        assertThat(job.getSettlement()).isIn("CAPTURED", "RELEASED");
        assertThat(hold).isPresent();
        HoldStatus current = ledger.holdStatus(JobCharges.holdKey(job.getId(), job.getHoldRound()));
        assertThat(current).isEqualTo(status == JobStatus.COMPLETED ? HoldStatus.CAPTURED : HoldStatus.RELEASED);
        // one settlement per round, never twice: the job's charge is what its rounds' holds captured
        long captured = 0;
        for (int round = 0; round <= job.getHoldRound(); round++) {
          UUID key = JobCharges.holdKey(job.getId(), round);
          assertThat(ledger.holdStatus(key)).as("round " + round + " of job " + job.getId()).isNotEqualTo(HoldStatus.ACTIVE);
          captured += dsl().select(org.jooq.impl.DSL.coalesce(CREDIT_HOLDS.CAPTURED,
                  org.jooq.impl.DSL.when(CREDIT_HOLDS.STATUS.eq("CAPTURED"), CREDIT_HOLDS.AMOUNT).otherwise(0L)))
              .from(CREDIT_HOLDS).where(CREDIT_HOLDS.JOB_ID.eq(key)).fetchSingle().value1();
        }
        assertThat(job.getCharged()).as("charged of job " + job.getId()).isEqualTo(captured);
      }
    }

    private int unfinished() {
      return dsl().fetchCount(JOBS, JOBS.STATUS.in("QUEUED", "DISPATCHED", "RUNNING")
          .or(JOBS.SETTLEMENT.in("HOLD_PENDING", "CAPTURE_PENDING", "RELEASE_PENDING")));
    }

    private void checkSafety() {
      ledger.checkInvariants();
      DSLContext dsl = dsl();
      var held = dsl.select(NODES.ID, NODES.ACTIVE_JOBS, NODES.SLOTS, org.jooq.impl.DSL.count(JOBS.ID))
          .from(NODES).leftJoin(JOBS).on(JOBS.NODE_ID.eq(NODES.ID).and(JOBS.STATUS.in("DISPATCHED", "RUNNING")))
          .groupBy(NODES.ID, NODES.ACTIVE_JOBS, NODES.SLOTS)
          .fetch();
      for (var node : held) {
        assertThat(node.value2()).as("slots used on node " + node.value1()).isEqualTo(node.value4());
        assertThat(node.value4()).isLessThanOrEqualTo(node.value3());
      }
      // every active job's assignment is open, and nothing else is (at most one per job: unique index)
      int active = dsl.fetchCount(JOBS, JOBS.STATUS.in("DISPATCHED", "RUNNING"));
      int activeWithOpenAssignment = dsl.fetchCount(dsl.select(JOBS.ID).from(JOBS).join(JOB_ASSIGNMENTS)
          .on(JOB_ASSIGNMENTS.ID.eq(JOBS.ASSIGNMENT_ID).and(JOB_ASSIGNMENTS.JOB_ID.eq(JOBS.ID))
              .and(JOB_ASSIGNMENTS.NODE_ID.eq(JOBS.NODE_ID)).and(JOB_ASSIGNMENTS.ENDED_AT.isNull()))
          .where(JOBS.STATUS.in("DISPATCHED", "RUNNING")));
      assertThat(activeWithOpenAssignment).isEqualTo(active);
      assertThat(dsl.fetchCount(JOB_ASSIGNMENTS, JOB_ASSIGNMENTS.ENDED_AT.isNull())).isEqualTo(active);
      for (UUID jobId : dsl.select(JOBS.ID).from(JOBS)
          .where(JOBS.STATUS.in("DISPATCHED", "RUNNING").and(JOBS.PRICE.gt(0L))).fetch(JOBS.ID)) {
        int round = job(jobId).getHoldRound();
        assertThat(ledger.holdStatus(JobCharges.holdKey(jobId, round))).as("hold of active job " + jobId)
            .isEqualTo(HoldStatus.ACTIVE);
      }
    }

    private List<String> randomCapabilities() {
      List<String> capabilities = new ArrayList<>();
      for (String type : TYPES) {
        if (random.nextInt(3) != 0) {
          capabilities.add(type);
        }
      }
      return capabilities.isEmpty() ? List.of(TYPES.get(0)) : capabilities;
    }

    private JobsRecord job(UUID id) {
      return dsl().selectFrom(JOBS).where(JOBS.ID.eq(id)).fetchSingle();
    }

    private DSLContext dsl() {
      return database.dsl();
    }

    /** A node agent: what it was given is what the database says it holds (the stream's sync). */
    private final class SimNode {
      final UUID id;
      final int slots;
      UUID session;
      final List<String> capabilities;
      final NodeToken token;

      SimNode(List<String> capabilities, int slots, boolean gpu) {
        this.capabilities = gpu ? append(capabilities, "gpu") : capabilities;
        this.slots = slots;
        TestNode key = TestNode.withNewKey();
        RegisteredNode registered = nodes.register(new NodeRegistration("sim", key.publicKeyPem(), this.capabilities,
            "{}", Optional.empty()));
        this.id = registered.nodeId();
        this.token = registered.claims();
        nodes.prove(token, key.sign(registered.challenge()));
      }

      void connect(List<ActiveAssignment> stillRunning) {
        Map<UUID, UUID> running = new HashMap<>();
        stillRunning.forEach(a -> running.put(a.jobId(), a.assignmentId()));
        Map<UUID, UUID> runningByAssignment = new HashMap<>();
        stillRunning.forEach(a -> runningByAssignment.put(a.assignmentId(), a.jobId()));
        session = UUID.randomUUID();
        nodes.openStream(token, session, new NodeHello(List.of(), slots, running, "sim", Optional.empty()));
        lifecycle.resumeAssignments(id, runningByAssignment);
      }

      void disconnect() {
        if (session != null) {
          nodes.closeStream(id, session);
          session = null;
        }
      }

      /** Back after a drop; {@code kept}: whether it still runs what it had started. */
      void reconnect(boolean kept) {
        List<ActiveAssignment> running = held().stream()
            .filter(a -> a.status() == JobStatus.RUNNING && kept).toList();
        disconnect();
        connect(running);
      }

      void heartbeat() {
        if (session != null && nodes.streamHeartbeat(id, session, random.nextDouble(), Optional.empty()).isEmpty()) {
          session = null; // fenced off (e.g. marked OFFLINE): the agent reconnects later
        }
      }

      void acceptOne() {
        held().stream().filter(a -> a.status() == JobStatus.DISPATCHED).findFirst().ifPresent(this::accept);
      }

      void acceptAll() {
        held().stream().filter(a -> a.status() == JobStatus.DISPATCHED).forEach(this::accept);
      }

      void finishOne(boolean completed) {
        List<ActiveAssignment> held = held();
        if (!held.isEmpty()) {
          finish(held.get(random.nextInt(held.size())), completed);
        }
      }

      void finishAll() {
        held().forEach(a -> finish(a, true));
      }

      private void accept(ActiveAssignment assignment) {
        if (session != null) {
          remember(assignment);
          lifecycle.accepted(id, assignment.jobId(), assignment.assignmentId());
        }
      }

      private void finish(ActiveAssignment assignment, boolean completed) {
        if (session != null) {
          remember(assignment);
          String code = completed ? "" : List.of("INVALID_INPUT", "PLUGIN_ERROR", "OUT_OF_MEMORY", "")
              .get(random.nextInt(4));
          assertThat(lifecycle.finished(id, assignment.jobId(), assignment.assignmentId(), completed, "sim failure",
              code)).isEqualTo(ReportOutcome.APPLIED);
        }
      }

      private List<ActiveAssignment> held() {
        return lifecycle.activeAssignments(id);
      }

      private void remember(ActiveAssignment assignment) {
        seenAssignments.add(new UUID[] {assignment.jobId(), assignment.assignmentId(), id});
      }
    }

    private static List<String> append(List<String> list, String value) {
      List<String> copy = new ArrayList<>(list);
      copy.add(value);
      return copy;
    }
  }
}
