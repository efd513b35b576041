package com.rendertrust.server.nodes;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.jobs.HeldAssignment;
import com.rendertrust.server.jobs.JobStatus;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a stream tells its node when the database's assignments change: no server, no database. */
class KnownAssignmentsTest {

  private final KnownAssignments known = new KnownAssignments();

  @Test
  void aNewDispatchIsSentOnceAndKnownAfterwards() {
    HeldAssignment task = assignment(JobStatus.DISPATCHED);

    var first = known.reconcile(List.of(task));
    assertThat(first.toDispatch()).containsExactly(task);
    assertThat(first.withdrawn()).isEmpty();
    known.dispatched(task);

    var second = known.reconcile(List.of(task));
    assertThat(second.toDispatch()).isEmpty();
    assertThat(second.withdrawn()).isEmpty();
    assertThat(known.holds(task.jobId(), task.assignmentId())).isTrue();
  }

  @Test
  void aDispatchThatCouldNotBeSentIsOfferedAgainAtTheNextSync() {
    HeldAssignment task = assignment(JobStatus.DISPATCHED);

    known.reconcile(List.of(task)); // not marked dispatched: its frame could not be built

    assertThat(known.reconcile(List.of(task)).toDispatch()).containsExactly(task);
    assertThat(known.isEmpty()).isTrue();
  }

  @Test
  void anAssignmentTheDatabaseNoLongerHasIsWithdrawnOnceAndForgotten() {
    HeldAssignment task = assignment(JobStatus.DISPATCHED);
    known.reconcile(List.of(task));
    known.dispatched(task);

    var withdrawal = known.reconcile(List.of());

    assertThat(withdrawal.withdrawn()).containsExactlyEntriesOf(Map.of(task.assignmentId(), task.jobId()));
    assertThat(withdrawal.toDispatch()).isEmpty();
    assertThat(known.holds(task.jobId(), task.assignmentId())).isFalse();
    assertThat(known.reconcile(List.of()).withdrawn()).isEmpty();
  }

  @Test
  void anAssignmentWhoseResultIsBeingWrittenIsNeitherWithdrawnNorDispatchedAgain() {
    HeldAssignment task = assignment(JobStatus.RUNNING);
    known.accepted(task.jobId(), task.assignmentId());
    known.resultSent(task.assignmentId());

    // a sync before the result's commit still finds the task held, after it finds it ended
    assertThat(known.reconcile(List.of(task)).toDispatch()).isEmpty();
    assertThat(known.isEmpty()).as("still known while its result is written").isFalse();
    var afterCommit = known.reconcile(List.of());
    assertThat(afterCommit.withdrawn()).as("no cancel for a task the node just finished").isEmpty();

    known.resultWritten(task.jobId(), task.assignmentId(), false);
    assertThat(known.isEmpty()).isTrue();
    assertThat(known.reconcile(List.of()).withdrawn()).isEmpty();
  }

  @Test
  void aStaleResultLeavesItsAssignmentToTheNextSync() {
    HeldAssignment task = assignment(JobStatus.RUNNING);
    known.accepted(task.jobId(), task.assignmentId());
    known.resultSent(task.assignmentId());

    known.resultWritten(task.jobId(), task.assignmentId(), true);

    assertThat(known.holds(task.jobId(), task.assignmentId())).isTrue();
    assertThat(known.reconcile(List.of()).withdrawn())
        .as("the database says the node does not hold it: withdrawn as any other")
        .containsExactlyEntriesOf(Map.of(task.assignmentId(), task.jobId()));
  }

  @Test
  void aRunningTaskUnknownHereIsAdoptedWithoutADispatch() {
    HeldAssignment running = assignment(JobStatus.RUNNING);

    var plan = known.reconcile(List.of(running));

    assertThat(plan.toDispatch()).isEmpty();
    assertThat(plan.withdrawn()).isEmpty();
    assertThat(known.holds(running.jobId(), running.assignmentId())).isTrue();
  }

  @Test
  void aRetriedTaskOfTheSameJobWithdrawsTheOldAssignmentAndDispatchesTheNew() {
    UUID jobId = UUID.randomUUID();
    HeldAssignment old = assignment(jobId, JobStatus.RUNNING);
    HeldAssignment retried = assignment(jobId, JobStatus.DISPATCHED);
    known.reconcile(List.of(old));

    var plan = known.reconcile(List.of(retried));

    assertThat(plan.withdrawn()).containsExactlyEntriesOf(Map.of(old.assignmentId(), jobId));
    assertThat(plan.toDispatch()).containsExactly(retried);
  }

  @Test
  void onResumeWhatTheNodeRunsIsKnownExceptWhatTheDatabaseWithdrew() {
    UUID kept = UUID.randomUUID();
    UUID withdrawn = UUID.randomUUID();
    UUID jobId = UUID.randomUUID();

    known.resume(Map.of(kept, jobId, withdrawn, jobId), Map.of(withdrawn, jobId));

    assertThat(known.holds(jobId, kept)).isTrue();
    assertThat(known.holds(jobId, withdrawn)).isFalse();
    assertThat(known.size()).isEqualTo(1);
  }

  @Test
  void anAssignmentIsHeldOnlyUnderItsOwnJob() {
    HeldAssignment task = assignment(JobStatus.RUNNING);
    known.reconcile(List.of(task));

    assertThat(known.holds(UUID.randomUUID(), task.assignmentId())).isFalse();
    known.forget(UUID.randomUUID(), task.assignmentId());
    assertThat(known.holds(task.jobId(), task.assignmentId())).isTrue();
    known.forget(task.jobId(), task.assignmentId());
    assertThat(known.isEmpty()).isTrue();
  }

  @Test
  void progressIsStoredAtMostOncePerIntervalPerAssignment() {
    UUID assignment = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    long start = 1_000_000_000L;

    assertThat(known.progressDue(assignment, start)).isTrue();
    assertThat(known.progressDue(assignment, start + KnownAssignments.PROGRESS_INTERVAL_NANOS - 1)).isFalse();
    assertThat(known.progressDue(other, start + 1)).isTrue();
    assertThat(known.progressDue(assignment, start + KnownAssignments.PROGRESS_INTERVAL_NANOS)).isTrue();
  }

  private static HeldAssignment assignment(JobStatus status) {
    return assignment(UUID.randomUUID(), status);
  }

  private static HeldAssignment assignment(UUID jobId, JobStatus status) {
    return new HeldAssignment(jobId, UUID.randomUUID(), status);
  }
}
