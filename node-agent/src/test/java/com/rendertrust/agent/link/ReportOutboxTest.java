package com.rendertrust.agent.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.jobs.JobExecutor.HeldJob;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.jobs.OutputReport;
import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.api.v1.ConnectRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbox against a stream that is up or down at the test's command (its generation is the stream's number). */
class ReportOutboxTest {

  private static final Duration IN_DOUBT = Duration.ofSeconds(2);

  private final List<ConnectRequest> written = new ArrayList<>();
  private long generation = 1;
  private boolean up = true;
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private ReportOutbox outbox;

  @BeforeEach
  void attach() {
    outbox = new ReportOutbox(new Clock() {
      @Override public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override public Instant instant() {
        return now;
      }
    });
    outbox.attach(frame -> {
      if (!up) {
        return OptionalLong.empty();
      }
      written.add(frame);
      return OptionalLong.of(generation);
    });
  }

  @Test
  void anOutputReadyInDoubtWhenTheStreamBrokeIsSentAgainBeforeTheResult() {
    JobSpec task = task("asg-1", "task-1");
    outbox.accepted(task);
    outbox.outputReady(task, new OutputReport(1, "frame_0001.png", 10, "ab", "image/png"));
    outbox.outputReady(task, new OutputReport(2, "frame_0002.png", 20, "cd", "image/png"));
    outbox.onStreamEnded(generation, IN_DOUBT);
    up = false;
    outbox.completed(task, "", Duration.ofSeconds(1));
    assertThat(outbox.neverSentResults()).isEqualTo(1);
    written.clear();

    up = true;
    generation = 2;
    outbox.onEstablished();

    assertThat(written).extracting(ConnectRequest::getKindCase).containsExactly(
        ConnectRequest.KindCase.OUTPUT_READY, ConnectRequest.KindCase.OUTPUT_READY, ConnectRequest.KindCase.RESULT);
    assertThat(written.get(1).getOutputReady().getFrame()).isEqualTo(2);
    assertThat(written.get(1).getOutputReady().getSizeBytes()).isEqualTo(20);
    assertThat(outbox.neverSentResults()).isZero();
  }

  @Test
  void outputsSettledOnAHealthyStreamAreNotSentAgain() {
    JobSpec task = task("asg-1", "task-1");
    outbox.accepted(task);
    outbox.outputReady(task, new OutputReport(1, "frame_0001.png", 10, "ab", "image/png"));
    now = now.plus(IN_DOUBT);
    outbox.settle(generation, IN_DOUBT);
    outbox.onStreamEnded(generation, IN_DOUBT);
    written.clear();

    generation = 2;
    outbox.onEstablished();

    assertThat(written).isEmpty();
  }

  @Test
  void resultsOfTwoTasksOfOneJobAreHeldAndCancelledByAssignment() {
    JobSpec first = task("asg-1", "task-1");
    JobSpec second = task("asg-2", "task-2");
    up = false;
    outbox.accepted(first);
    outbox.accepted(second);
    outbox.failed(first, ErrorCode.OUT_OF_MEMORY, "blender ran out of memory", Duration.ofSeconds(1));
    outbox.completed(second, "", Duration.ofSeconds(1));

    assertThat(outbox.held()).containsExactly(new HeldJob("job", "asg-1", "task-1"), new HeldJob("job", "asg-2", "task-2"));
    outbox.cancelled("job", "asg-1");
    assertThat(outbox.held()).containsExactly(new HeldJob("job", "asg-2", "task-2"));

    up = true;
    outbox.onEstablished();
    assertThat(written).filteredOn(ConnectRequest::hasResult).extracting(frame -> frame.getResult().getAssignmentId())
        .containsExactly("asg-2");
  }

  @Test
  void aFailureCarriesItsErrorCode() {
    JobSpec task = task("asg-1", "task-1");
    outbox.accepted(task);
    outbox.failed(task, ErrorCode.INVALID_INPUT, "blender cannot open the scene", Duration.ofSeconds(1));

    assertThat(written.getLast().getResult().getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(written.getLast().getResult().getErrorMessage()).isEqualTo("blender cannot open the scene");
  }

  @Test
  void aNulInProgramOutputNeverReachesTheServerWhichRefusesItInAnyString() {
    JobSpec task = task("asg-1", "task-1");
    outbox.accepted(task);
    outbox.progress(task, 50, "frame\u00001", 1);
    outbox.failed(task, ErrorCode.PLUGIN_ERROR, "exit 1: a\u0000b", Duration.ofSeconds(1));

    assertThat(written).filteredOn(ConnectRequest::hasProgress).extracting(frame -> frame.getProgress().getMessage())
        .containsExactly("frame\uFFFD1");
    assertThat(written.getLast().getResult().getErrorMessage()).isEqualTo("exit 1: a\uFFFDb");
  }

  private static JobSpec task(String assignmentId, String taskId) {
    return new JobSpec("job", assignmentId, "render", "", "{}", "", Optional.empty(), Duration.ZERO, taskId, Optional.empty(),
        List.of(), "", "");
  }
}
