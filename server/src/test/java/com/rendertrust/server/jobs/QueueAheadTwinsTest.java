package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.JobNetwork;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.RolledBack;
import com.rendertrust.server.testing.SharedServer;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two tests of "older work waits ahead" agree. A new job queues behind queued work of its type
 * at its tier and priority or higher (FIFO within priority), even when a slot is free; the one-job
 * path asks {@link JobScheduler#claimSlotsUnlessQueued} (its QUEUE_AHEAD statement), a submission
 * batch asks {@code job_submissions_place} (migration V24, its EXISTS). For every tier and priority
 * of a new job against a queued task of the standard tier and normal priority, both must answer the
 * same, and that answer is the row comparison (tier first, then priority).
 */
class QueueAheadTwinsTest {

  private static final long PRICE = 10_000; // the fallback price of job types without their own
  private static TestServer server;
  private static JobLedger ledger;

  @RegisterExtension
  static final SharedServer shared = SharedServer.withLedger(JobsTesting::start, (started, money) -> {
    server = started;
    ledger = money;
  });

  @AfterEach
  void moneyIsConservedAndSlotsMatchTheJobsHeld() {
    ledger.checkInvariants();
    JobsTesting.assertSlotsMatchJobs(server);
  }

  @Test
  void bothPathsQueueANewJobBehindQueuedWorkOfItsTypeAtItsTierAndPriorityOrHigherAndOnlyThen() {
    String type = "queue-ahead-twins";
    TestNode.Stream node = JobsTesting.quietNode(server, type, 1);
    UUID creator = ledger.fundedUser(2 * PRICE);
    assertThat(submit(creator, type, Priority.NORMAL, Tier.STANDARD).status()).isEqualTo(JobStatus.DISPATCHED);
    assertThat(submit(creator, type, Priority.NORMAL, Tier.STANDARD).status()).as("the node is full")
        .isEqualTo(JobStatus.QUEUED);
    UUID nodeId = node.node().id();

    for (Tier tier : Tier.values()) {
      for (Priority priority : Priority.values()) {
        boolean behind = tier.rank() < Tier.STANDARD.rank()
            || tier == Tier.STANDARD && priority.rank() <= Priority.NORMAL.rank();
        String at = tier + "/" + priority;
        Optional<UUID> oneJob = withFreeSlot(nodeId, tx -> network().scheduler().claimSlotsUnlessQueued(tx, creator,
            type, false, tier.rank(), priority.rank(), 1).stream().findFirst());
        Optional<UUID> batch = withFreeSlot(nodeId, tx -> placedNode(tx, creator, type, priority, tier));

        assertThat(batch).as("the batch's answer at " + at).isEqualTo(oneJob);
        assertThat(oneJob).as("a slot at " + at).isEqualTo(behind ? Optional.empty() : Optional.of(nodeId));
      }
    }
  }

  @Test
  void queuedWorkOfAnotherTypeHoldsNeitherPathBack() {
    String type = "queue-ahead-other";
    TestNode.Stream node = JobsTesting.quietNode(server, type, 1);
    UUID creator = ledger.fundedUser(PRICE);
    UUID nodeId = node.node().id();
    // a task of another type queued at the highest tier and priority
    String busy = "queue-ahead-busy";
    JobsTesting.quietNode(server, busy, 1);
    UUID other = ledger.fundedUser(4 * PRICE); // the priority tier costs more
    assertThat(submit(other, busy, Priority.HIGH, Tier.PRIORITY).status()).isEqualTo(JobStatus.DISPATCHED);
    assertThat(submit(other, busy, Priority.HIGH, Tier.PRIORITY).status()).isEqualTo(JobStatus.QUEUED);

    Optional<UUID> oneJob = withFreeSlot(nodeId, tx -> network().scheduler().claimSlotsUnlessQueued(tx, creator, type,
        false, Tier.ECONOMY.rank(), Priority.LOW.rank(), 1).stream().findFirst());
    Optional<UUID> batch = withFreeSlot(nodeId, tx -> placedNode(tx, creator, type, Priority.LOW, Tier.ECONOMY));

    assertThat(oneJob).contains(nodeId);
    assertThat(batch).contains(nodeId);
  }

  private static DispatchOutcome submit(UUID creator, String type, Priority priority, Tier tier) {
    return network().jobs().submit(creator, new JobSubmission(type, Optional.empty(), Optional.empty(),
        priority.wireName(), false, Optional.empty(), Optional.empty(), tier.wireName()));
  }

  /** The node {@code job_submissions_place} gives one new job of {@code type}; empty when it queues. */
  private static Optional<UUID> placedNode(DSLContext tx, UUID creator, String type, Priority priority, Tier tier) {
    ValidSubmission valid = SubmissionRules.validate(new JobSubmission(type, Optional.empty(), Optional.empty(),
        priority.wireName(), false, Optional.empty(), Optional.empty(), tier.wireName()));
    RenderFrames frames = RenderFrames.ofSubmission(type, valid.payloadJson(), 10);
    var submission = new SubmissionBatch.Submission(UUID.randomUUID(), creator, valid, frames, PRICE, "");
    var placed = SubmissionBatch.place(tx, List.of(submission), List.of(JobTaskStore.FirstTask.of(frames, 60_000)),
        OffsetDateTime.now(ZoneOffset.UTC));
    assertThat(placed).hasSize(1);
    return Optional.ofNullable(placed.getFirst().nodeId());
  }

  /**
   * What {@code decide} answers in a transaction in which the node's one slot is free again (its
   * first job still holds it outside), rolled back afterwards: nothing it claimed or wrote stays.
   */
  private static Optional<UUID> withFreeSlot(UUID nodeId, Function<DSLContext, Optional<UUID>> decide) {
    return RolledBack.answer(server.controlPlane().database().dsl(), tx -> {
      assertThat(tx.update(NODES).set(NODES.ACTIVE_JOBS, 0).where(NODES.ID.eq(nodeId)).execute()).isEqualTo(1);
      return decide.apply(tx);
    });
  }

  private static JobNetwork network() {
    return JobsTesting.network(server);
  }
}
