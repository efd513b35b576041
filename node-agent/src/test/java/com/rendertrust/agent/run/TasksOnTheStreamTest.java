package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.RunningJob;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** Two tasks of one job on one node: each is its own assignment on the stream, through a reconnect and a cancel. */
class TasksOnTheStreamTest extends RunningAgentTestBase {

  @Test
  void twoTasksOfOneJobAreHeldResumedAndCancelledByAssignment() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    // Both tasks wait on the same gate (the gated command's files are named by job id).
    first.dispatch(dispatch("shared", "gated", "{\"task\":1}", store.uploadUrl("shared-1"))
        .setAssignmentId("asg-1").setTaskId("task-1").build());
    first.dispatch(dispatch("shared", "gated", "{\"task\":2}", store.uploadUrl("shared-2"))
        .setAssignmentId("asg-2").setTaskId("task-2").build());
    Await.until(() -> first.frames().stream().filter(ConnectRequest::hasAccepted).count() == 2, WAIT, "both tasks accepted");

    first.drop(Status.UNAVAILABLE.withDescription("server restarting"));
    FakeNodeStream second = server.awaitStream(1, WAIT);
    assertThat(second.hello.getRunningList()).containsExactlyInAnyOrder(
        RunningJob.newBuilder().setJobId("shared").setAssignmentId("asg-1").setTaskId("task-1").build(),
        RunningJob.newBuilder().setJobId("shared").setAssignmentId("asg-2").setTaskId("task-2").build());

    second.cancel("shared", "asg-1", "reassigned");
    Await.until(() -> fixture.agent().status().get("jobs") instanceof java.util.List<?> jobs && jobs.size() == 1, WAIT,
        "task 1 stopped");
    assertThat(getJson("/status").path("jobs").get(0).path("task_id").asText()).isEqualTo("task-2");
    openGate("shared");

    var result = awaitResult(second, "shared");
    assertCompleted(result);
    assertThat(result.getAssignmentId()).isEqualTo("asg-2");
    assertThat(store.result("shared-2")).contains("{\"task\":2}".getBytes());
    Thread.sleep(300);
    assertThat(second.frames().stream().filter(ConnectRequest::hasResult)).hasSize(1);
    assertThat(store.result("shared-1")).isEmpty();
  }
}
