package com.rendertrust.server.sdk;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.sdk.AnchorInfo;
import com.rendertrust.sdk.InsufficientCreditsException;
import com.rendertrust.sdk.Job;
import com.rendertrust.sdk.JobEvent;
import com.rendertrust.sdk.JobWatch;
import com.rendertrust.sdk.JobNotCancellableException;
import com.rendertrust.sdk.JobRequest;
import com.rendertrust.sdk.LedgerEntry;
import com.rendertrust.sdk.LedgerProof;
import com.rendertrust.sdk.NoHealthyNodeException;
import com.rendertrust.sdk.NotAnchoredException;
import com.rendertrust.sdk.NotFoundException;
import com.rendertrust.sdk.Page;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.Verification;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's job and ledger-proof calls against the real server: a real node on the Connect
 * stream runs the jobs, credits move through the real ledger, and proofs come from batches
 * anchored on a real anvil chain. In-process transport and TCP (h2c on the server's port).
 */
class SdkJobsTest {

  private static TestChain chain;
  private static TestServer server;
  private static WorkingNode worker;
  private static TestNode.Stream idleRenderNode;

  @TempDir
  Path downloads;

  @BeforeAll
  static void start() {
    chain = TestChain.start();
    // Seal whatever waits every 200 ms, so a spent entry is provable within a second or two.
    ChainConfig anchoring = ChainConfig.disabled().withRpcUrl(chain.rpcUrl()).withConfirmations(1)
        .withPollInterval(Duration.ofMillis(100)).withSealing(Duration.ofMillis(200), 1_000);
    server = TestServer.start(JobsTesting.config(JobsTesting.fastJobs()).withChain(anchoring));
    worker = WorkingNode.start(server, List.of("echo", "cpu_benchmark"));
    // A render node that never accepts: its jobs stay DISPATCHED, so they can be cancelled.
    TestNode render = TestNode.ready(server.channel(), "sdk-render", List.of("render"));
    idleRenderNode = render.connect(server.channel(), 4).keepAlive(Duration.ofSeconds(5), null);
    idleRenderNode.welcome();
  }

  @AfterAll
  static void stop() {
    try {
      assertLedgerInvariants(server.controlPlane().database().dsl());
    } finally {
      worker.stop();
      server.close();
      chain.close();
    }
  }

  @Test
  void anEchoJobRunsOnANodeAndItsResultDownloadsInProcess() throws Exception {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    echoRoundTrip(client, "in-process");
  }

  @Test
  void anEchoJobRunsOnANodeAndItsResultDownloadsOverTcp() throws Exception {
    try (RenderTrustClient client = RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort())) {
      echoRoundTrip(client, "tcp");
    }
  }

  private void echoRoundTrip(RenderTrustClient client, String transport) throws Exception {
    client.register("sdk-jobs-" + transport + "-" + UUID.randomUUID() + "@example.com", "Grace", "correct horse battery");
    String message = "hello over " + transport + " \u2713";
    JobRequest request = JobRequest.of("echo", Map.of("message", message));

    Job submitted = client.submitJob(request);
    assertThat(submitted.jobType()).isEqualTo("echo");
    assertThat(submitted.status()).isIn("DISPATCHED", "RUNNING", "COMPLETED");
    assertThat(client.submitJob(request).id()).as("same idempotency key, same job").isEqualTo(submitted.id());

    Job done = client.awaitCompletion(submitted.id(), Duration.ofSeconds(30));
    assertThat(done.status()).isEqualTo("COMPLETED");
    assertThat(done.nodeId()).isEqualTo(worker.nodeId().toString());
    try (JobWatch watch = client.watchJob(submitted.id())) {
      List<JobEvent> events = watch.stream().toList(); // ends by itself after job.completed
      assertThat(events).extracting(JobEvent::type).startsWith("job.created", "task.dispatched")
          .contains("task.started", "task.completed").endsWith("job.completed");
      assertThat(events).extracting(JobEvent::seq)
          .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, events.size()).boxed().toList());
      assertThat(events.get(events.size() - 1).isTerminal()).isTrue();
      assertThat(watch.lastSeq()).isEqualTo(events.size());
    }
    try (JobWatch resumed = client.watchJob(submitted.id(), 1)) {
      assertThat(resumed.next().type()).isEqualTo("task.dispatched");
    }
    assertThat(done.completedAt()).isNotNull();
    assertThat(done.errorMessage()).isNull();

    Path file = client.downloadResult(done.id(), downloads.resolve("result-" + transport + ".txt"));
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(message);

    Page<Job> completed = client.listJobs("COMPLETED", 10, 0);
    assertThat(completed.total()).isEqualTo(1);
    assertThat(completed.items()).extracting(Job::id).containsExactly(done.id());
    assertThat(client.listJobs("QUEUED", 10, 0).total()).isZero();
  }

  @Test
  void aChargedJobIsProvableOnChainAndVerifiedByTheServerAndLocally() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register("sdk-proof-" + UUID.randomUUID() + "@example.com", "Ada", "correct horse battery");
    UUID userId = UUID.fromString(client.balance().userId());
    server.controlPlane().credits().adjust(userId, CreditAmount.ofCredits(5), "sdk-proof-grant-" + userId, "welcome");

    Job done = client.awaitCompletion(client.submitJob(JobRequest.of("cpu_benchmark", Map.of("limit", 1000))).id(),
        Duration.ofSeconds(30));
    assertThat(done.status()).isEqualTo("COMPLETED");
    assertThat(client.balance().balance()).isEqualByComparingTo(new BigDecimal("4"));

    LedgerEntry usage = client.history(10, 0).items().stream()
        .filter(entry -> "USAGE".equals(entry.source()))
        .findFirst().orElseThrow(() -> new AssertionError("no USAGE entry in the history"));
    assertThat(usage.amount()).isEqualByComparingTo(BigDecimal.ONE);
    assertThat(usage.direction()).isEqualTo("DEBIT");

    LedgerProof proof = client.awaitProof(usage.id(), Duration.ofSeconds(60));
    assertThat(proof.entryId()).isEqualTo(usage.id());
    assertThat(proof.anchorTxHash()).startsWith("0x");
    assertThat(proof.verifiesLocally()).isTrue();
    String otherLeaf = (proof.leaf().charAt(0) == '0' ? "1" : "0") + proof.leaf().substring(1);
    LedgerProof forged = new LedgerProof(proof.entryId(), otherLeaf, proof.merkleRoot(),
        proof.proofHashes(), proof.directions(), proof.anchorTxHash(), proof.blockNumber());
    assertThat(forged.verifiesLocally()).as("another leaf under the same path").isFalse();

    Verification verification = client.verify(usage.id());
    assertThat(verification.verified()).isTrue();
    assertThat(verification.onChainRoot()).isEqualTo(proof.merkleRoot());
    assertThat(verification.txHash()).isEqualTo(proof.anchorTxHash());
    assertThat(chain.mined(verification.txHash())).isTrue();

    Page<AnchorInfo> anchors = client.anchors(1, 100);
    assertThat(anchors.items()).extracting(AnchorInfo::txHash).contains(proof.anchorTxHash());

    RenderTrustClient stranger = RenderTrustClient.create(server.channel());
    stranger.register("sdk-stranger-" + UUID.randomUUID() + "@example.com", "Mallory", "correct horse battery");
    assertThatThrownBy(() -> stranger.proof(usage.id())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> stranger.verify(usage.id())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> stranger.getJob(done.id())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void anEntryNotYetAnchoredAnswersNotAnchoredUntilItIs() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register("sdk-pending-" + UUID.randomUUID() + "@example.com", "Lin", "correct horse battery");
    UUID userId = UUID.fromString(client.balance().userId());
    chain.setAutomine(false);
    try {
      server.controlPlane().credits().adjust(userId, CreditAmount.ofCredits(3), "sdk-pending-" + userId, "grant");
      String entryId = client.history(1, 0).items().getFirst().id();
      // Sealed within 200 ms, but its anchoring transaction is not mined: still not provable.
      assertThatThrownBy(() -> client.awaitProof(entryId, Duration.ofMillis(1500)))
          .isInstanceOfSatisfying(NotAnchoredException.class, e -> {
            assertThat(e.reason()).isEqualTo("NOT_ANCHORED");
            assertThat(e.getMessage()).contains("its batch");
          });
    } finally {
      chain.setAutomine(true);
      chain.mine(1);
    }
    String entryId = client.history(1, 0).items().getFirst().id();
    assertThat(client.awaitProof(entryId, Duration.ofSeconds(60)).verifiesLocally()).isTrue();
  }

  @Test
  void failuresAreTypedAndNothingIsCharged() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register("sdk-broke-" + UUID.randomUUID() + "@example.com", "Bob", "correct horse battery");

    assertThatThrownBy(() -> client.submitJob(JobRequest.of("render", Map.of())))
        .isInstanceOfSatisfying(InsufficientCreditsException.class, e -> {
          assertThat(e.available()).isEqualByComparingTo(BigDecimal.ZERO);
          assertThat(e.requested()).isEqualByComparingTo(BigDecimal.TEN);
        });
    assertThatThrownBy(() -> client.submitJob(JobRequest.of("inference", Map.of())))
        .isInstanceOf(NoHealthyNodeException.class);
    assertThatThrownBy(() -> client.getJob(UUID.randomUUID().toString())).isInstanceOf(NotFoundException.class);
    assertThat(client.listJobs(null, 10, 0).total()).isZero();
    assertThat(client.balance().balance()).isEqualByComparingTo(BigDecimal.ZERO);
  }

  @Test
  void aDispatchedJobIsCancelledOnItsNodeAndItsHoldReleased() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register("sdk-cancel-" + UUID.randomUUID() + "@example.com", "Cy", "correct horse battery");
    UUID userId = UUID.fromString(client.balance().userId());
    server.controlPlane().credits().adjust(userId, CreditAmount.ofCredits(10), "sdk-cancel-grant-" + userId, "grant");

    Job job = client.submitJob(JobRequest.of("render", Map.of("frames", List.of(1, 2))).withPriority("high"));
    assertThat(job.status()).isEqualTo("DISPATCHED");
    assertThat(job.priority()).isEqualTo("high");
    JobDispatch dispatch = idleRenderNode.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(job.id());

    Job cancelled = client.cancelJob(job.id());
    assertThat(cancelled.status()).isEqualTo("CANCELLED");
    assertThat(idleRenderNode.cancel().getCancel().getJobId()).isEqualTo(job.id());
    assertThat(client.awaitCompletion(job.id(), Duration.ofSeconds(5)).status()).isEqualTo("CANCELLED");
    assertThatThrownBy(() -> client.cancelJob(job.id())).isInstanceOf(JobNotCancellableException.class);
    assertThat(client.balance().balance()).as("the hold is released, nothing charged")
        .isEqualByComparingTo(BigDecimal.TEN);
    assertThat(client.listJobs("CANCELLED", 10, 0).items()).extracting(Job::id).containsExactly(job.id());
  }

  /** A node that runs every job it is given: the echo result is the message, others a short text. */
  private static final class WorkingNode {
    private final TestNode node;
    private final TestNode.Stream stream;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread loop;

    private WorkingNode(TestNode node, TestNode.Stream stream) {
      this.node = node;
      this.stream = stream;
      this.loop = Thread.ofVirtual().name("sdk-test-node").start(this::work);
    }

    static WorkingNode start(TestServer server, List<String> capabilities) {
      TestNode node = TestNode.ready(server.channel(), "sdk-worker", capabilities);
      TestNode.Stream stream = node.connect(server.channel(), 4).keepAlive(Duration.ofSeconds(5), null);
      stream.welcome();
      return new WorkingNode(node, stream);
    }

    UUID nodeId() {
      return node.id();
    }

    private void work() {
      while (running.get() && !stream.isClosed()) {
        ConnectResponse frame = stream.poll(ConnectResponse::hasDispatch, Duration.ofMillis(200));
        if (frame == null) {
          continue;
        }
        JobDispatch dispatch = frame.getDispatch();
        stream.accept(dispatch);
        String output = dispatch.getJobType().equals("echo")
            ? dispatch.getPayload().getFieldsOrThrow("message").getStringValue()
            : "primes below " + dispatch.getPayload().getFieldsMap().get("limit") + ": counted";
        if (stream.upload(dispatch, output.getBytes(StandardCharsets.UTF_8)) != 200) {
          stream.fail(dispatch, "upload refused");
          continue;
        }
        stream.progress(dispatch, 100);
        stream.complete(dispatch);
      }
    }

    void stop() {
      running.set(false);
      try {
        loop.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      stream.halfClose();
    }
  }
}
