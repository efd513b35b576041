package com.rendertrust.server.events;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.jobs.JobEvents;
import com.rendertrust.server.jobs.JobStatus;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Watches under pressure: a slow watcher (its sink not ready) holds up no one, buffers a bounded
 * number of events and is resynced from the table; a user watch that falls behind ends with a
 * clear status; a burst of watch starts is served by a few batched reads and none fails.
 */
class WatchFlowControlTest {

  private static TestServer server;
  private static ExecutorService executor;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    executor = Executors.newVirtualThreadPerTaskExecutor();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      EventTesting.assertGapless(server);
      server.close();
    }
    executor.shutdownNow();
  }

  /** A sink whose readiness the test sets; records what it was sent. */
  static final class FakeSink implements Watch.Sink {
    volatile boolean ready;
    final List<Integer> seqs = new CopyOnWriteArrayList<>();
    final CompletableFuture<RuntimeException> failed = new CompletableFuture<>();
    volatile boolean completed;

    FakeSink(boolean ready) {
      this.ready = ready;
    }

    @Override
    public void send(OutgoingEvent event) {
      seqs.add(event.event().seq());
    }

    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public void complete() {
      completed = true;
    }

    @Override
    public void fail(RuntimeException cause) {
      failed.complete(cause);
    }
  }

  /**
   * A queued job of {@code user} with its job.created event, written directly (no node runs
   * here, so nothing but the test adds events to it).
   */
  private static UUID newJob(UUID user) {
    UUID job = UUID.randomUUID();
    server.controlPlane().database().dsl().execute("""
        INSERT INTO jobs (id, user_id, job_type, priority, priority_rank, gpu_required, status, price, settlement,
                          request_hash, created_at, updated_at)
        VALUES (?, ?, 'echo', 'normal', 1, false, 'QUEUED', 0, 'NONE', 'test', now(), now())""", job, user);
    JobEvents log = server.controlPlane().events().log();
    new Transactions(server.controlPlane().database().dsl()).inTransaction(tx -> {
      log.record(tx, List.of(JobEvents.Event.ofJob(JobEvents.Type.JOB_CREATED, job, JobStatus.QUEUED)));
      return null;
    });
    return job;
  }

  private static Watch watch(UUID job, UUID user, FakeSink sink, int maxBuffered) {
    Events events = server.controlPlane().events();
    return new Watch(job, user, events.reader(), events.hub(), executor, sink, maxBuffered);
  }

  private static void progress(UUID job, int count) {
    JobEvents log = server.controlPlane().events().log();
    Transactions transactions = new Transactions(server.controlPlane().database().dsl());
    for (int i = 0; i < count; i++) {
      int n = i;
      transactions.inTransaction(tx -> {
        log.record(tx, List.of(JobEvents.Event.ofTask(JobEvents.Type.TASK_PROGRESS, job, UUID.randomUUID(), null,
            JobStatus.RUNNING).withProgress(n / (double) count, n)));
        return null;
      });
    }
  }

  private static void completed(UUID job) {
    JobEvents log = server.controlPlane().events().log();
    new Transactions(server.controlPlane().database().dsl()).inTransaction(tx -> {
      log.record(tx, List.of(JobEvents.Event.ofJob(JobEvents.Type.JOB_COMPLETED, job, JobStatus.COMPLETED)));
      return null;
    });
  }

  private static List<Integer> oneTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  @Test
  void aSlowWatcherHoldsUpNoOneBuffersABoundedAmountAndIsResyncedFromTheTable() {
    UUID user = UUID.randomUUID();
    UUID job = newJob(user);
    FakeSink fast = new FakeSink(true);
    FakeSink slow = new FakeSink(false);
    Watch fastWatch = watch(job, user, fast, 8);
    Watch slowWatch = watch(job, user, slow, 8);
    fastWatch.startJob(0, false);
    slowWatch.startJob(0, false);
    eventually("the fast watch replayed job.created", () -> fast.seqs.equals(List.of(1)));

    progress(job, 100);
    eventually("the fast watch got every event", () -> fast.seqs.size() == 101);
    assertThat(fast.seqs).containsExactlyElementsOf(oneTo(101));
    assertThat(slow.seqs).as("nothing is sent to a sink that is not ready").isEmpty();
    assertThat(slowWatch.buffered()).as("its inbox is bounded").isLessThanOrEqualTo(8);
    assertThat(slowWatch.resyncs()).isZero();

    slow.ready = true;
    slowWatch.ready();
    eventually("the slow watch caught up from the table", () -> slow.seqs.size() == 101);
    assertThat(slow.seqs).as("in order, no gap, no duplicate").containsExactlyElementsOf(oneTo(101));
    assertThat(slowWatch.resyncs()).isPositive();
    assertThat(slowWatch.buffered()).isZero();

    completed(job);
    eventually("both watches ended after job.completed", () -> fast.completed && slow.completed);
    assertThat(fast.seqs).containsExactlyElementsOf(oneTo(102));
    assertThat(slow.seqs).containsExactlyElementsOf(oneTo(102));
    assertThat(fast.failed).isNotDone();
    assertThat(slow.failed).isNotDone();
  }

  @Test
  void aUserWatchThatFallsBehindEndsWithAClearStatus() {
    UUID user = UUID.randomUUID();
    UUID job = newJob(user);
    FakeSink slow = new FakeSink(false);
    Watch watch = watch(null, user, slow, 4);
    watch.startUser(null);
    progress(job, 10);
    eventually("the watch fell behind", () -> watch.buffered() == 4);
    slow.ready = true;
    watch.ready();
    RuntimeException cause = slow.failed.join();
    assertThat(cause).isInstanceOf(Watch.FellBehind.class).hasMessageContaining("fell behind");
    assertThat(watch.ended()).isTrue();
    assertThat(slow.seqs).isEmpty();
    completed(job);
  }

  @Test
  void aBurstOfReplayReadsQueuesBehindTheGateAndIsServedByAFewBatchedStatements() throws Exception {
    UUID user = UUID.randomUUID();
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      UUID job = newJob(user);
      progress(job, 2);
      jobs.add(job);
    }
    ReplayReader reader = new ReplayReader(server.controlPlane().events().log(), executor);
    reader.permits().acquire(ReplayReader.READERS); // every read waits behind the gate
    List<CompletableFuture<List<OutgoingEvent>>> reads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      UUID job = jobs.get(i % jobs.size());
      reads.add(CompletableFuture.supplyAsync(() -> reader.forJob(job, 0), executor));
    }
    eventually("all 200 reads asked", () -> reader.requests() == 200);
    reader.permits().release(ReplayReader.READERS);
    for (int i = 0; i < reads.size(); i++) {
      List<OutgoingEvent> rows = reads.get(i).join();
      UUID job = jobs.get(i % jobs.size());
      assertThat(rows).extracting(row -> row.event().seq()).containsExactly(1, 2, 3);
      assertThat(rows).allMatch(row -> row.event().jobId().equals(job));
    }
    // two readers each took one batch before blocking on the gate, then at most one more each
    assertThat(reader.statements()).isLessThanOrEqualTo(4);
    jobs.forEach(WatchFlowControlTest::completed);
  }

  @Test
  void manyWatchStartsAtOnceAllGetTheirReplayOverGrpc() throws InterruptedException {
    UUID user = UUID.randomUUID();
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      jobs.add(newJob(user).toString());
    }
    List<EventTesting.Watcher> watchers = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      watchers.add(EventTesting.watch(server, user, WatchJobRequest.newBuilder().setJobId(jobs.get(i % 10)).build()));
    }
    for (EventTesting.Watcher watcher : watchers) {
      JobEvent first = watcher.events().poll(60, TimeUnit.SECONDS);
      assertThat(first).as("the replay of watcher %d (ended: %s)", watchers.indexOf(watcher),
          watcher.ended().getNow(null)).isNotNull();
      assertThat(first.getType()).isEqualTo("job.created");
      assertThat(watcher.ended()).as("no start failed").isNotDone();
    }
    jobs.forEach(job -> completed(UUID.fromString(job)));
    for (EventTesting.Watcher watcher : watchers) {
      assertThat(watcher.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
    }
  }
}
