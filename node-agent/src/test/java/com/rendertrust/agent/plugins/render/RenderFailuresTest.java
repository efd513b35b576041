package com.rendertrust.agent.plugins.render;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.OutputTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How render failures are classified. Failures real Blender cannot be made to produce on demand
 * (running out of memory, the OOM killer, hanging) come from a stand-in {@code blender} script
 * that plays the part the scene names; BlenderRenderTest covers real renders and unreadable files.
 */
class RenderFailuresTest extends RunningAgentTestBase {

  private FakeNodeStream stream;
  private Path calls;

  @BeforeEach
  void startAgentWithStandIn() throws Exception {
    Path blender = home.resolve("bin/blender");
    Files.createDirectories(blender.getParent());
    Files.writeString(blender, """
        #!/bin/sh
        # Stand-in for injecting failures: behaves as the first word of the scene file says.
        printf '%s\\n' "$*" >> "$0.calls"
        if [ "$1" = "--version" ]; then echo "Blender 3.4.1"; echo "	build date: 2023-01-01"; exit 0; fi
        scene="$3"
        echo "Blender 3.4.1"
        echo "Read blend: $scene"
        echo "Fra:1 Mem:12.00M (Peak 12.00M) | Time:00:00.10 | Mem:0.00M, Peak:0.00M | Scene, ViewLayer | Sample 1/16"
        case "$(head -c 16 "$scene")" in
          MALLOC*) echo "Malloc returns null: len=8589934592 in Render image, total 1048576"; kill -SEGV $$ ;;
          OOMKILLED*) kill -KILL $$ ;;
          HANG*) exec sleep 60 ;;
          FRAME-THEN-HANG*) out="$(printf '%s' "$9" | sed 's/####/0001/').png"; echo frame > "$out"; echo "Saved: '$out'"; exec sleep 60 ;;
          *) echo "Error: Python: Traceback (most recent call last):"; echo "Error: script failed, file: 'x.py', exiting."; exit 1 ;;
        esac
        """);
    Files.setPosixFilePermissions(blender, PosixFilePermissions.fromString("rwxr-xr-x"));
    calls = Path.of(blender + ".calls");
    fixture.start("--blender", blender.toString(), "--capabilities", "render");
    stream = server.awaitStream(0, WAIT);
  }

  @Test
  void blenderRunningOutOfMemoryIsOutOfMemory() {
    assertRenderFails("MALLOC", "OUT_OF_MEMORY",
        "blender ran out of memory: Malloc returns null: len=8589934592 in Render image, total 1048576");
  }

  @Test
  void blenderKilledWithSigkillIsOutOfMemory() {
    assertRenderFails("OOMKILLED", "OUT_OF_MEMORY",
        "blender was killed with SIGKILL, most likely by the kernel's out-of-memory killer");
  }

  @Test
  void aRenderPastItsTimeLimitIsStoppedAsTimeout() {
    store.putInput("hang.blend", "HANG".getBytes(StandardCharsets.UTF_8));
    stream.dispatch(dispatch("hang", "render", "{\"frame\":1}", store.uploadUrl("hang"))
        .setInputUrl(store.inputUrl("hang.blend")).setMaxRuntimeSeconds(2).build());

    JobResult result = awaitResult(stream, "hang");
    assertFailed(result, "TIMEOUT");
    assertThat(result.getErrorMessage()).isEqualTo("the job exceeded its time limit of 2 s and was stopped");
  }

  @Test
  void aRefusedFrameUploadEndsTheRenderAtOnce() {
    store.putInput("refused.blend", "FRAME-THEN-HANG".getBytes(StandardCharsets.UTF_8));
    store.failNextUploads(1, 403);
    var task = dispatch("refused", "render", "{}", "").setInputUrl(store.inputUrl("refused.blend"))
        .setTaskId("t1").setFrameStart(1).setFrameEnd(2).setFrameStep(1).setMaxRuntimeSeconds(120);
    for (int frame = 1; frame <= 2; frame++) {
      task.addOutputs(OutputTarget.newBuilder().setFrame(frame).setName("frame_000" + frame + ".png")
          .setUploadUrl(store.uploadUrl("refused/frame_000" + frame + ".png")));
    }
    stream.dispatch(task.build());

    // The stand-in would hang for 60 s after saving frame 1: the refused upload must end it, not the time limit.
    JobResult result = awaitResult(stream, "refused");
    assertFailed(result, "PLUGIN_ERROR");
    assertThat(result.getErrorMessage()).isEqualTo("output frame_0001.png upload to "
        + store.uploadUrl("refused/frame_0001.png").split("\\?")[0] + " was refused: HTTP 403 <Error>try later</Error>");
    assertThat(stream.frames()).noneMatch(ConnectRequest::hasOutputReady);
  }

  @Test
  void anyOtherBlenderFailureIsAPluginErrorThatSaysWhatBlenderSaid() {
    assertRenderFails("SOMETHING ELSE", "PLUGIN_ERROR", "blender exited with status 1: Error: script failed, file: 'x.py', exiting.");
  }

  @Test
  void aPayloadOutOfRangeIsInvalidInputAndBlenderNeverRuns() {
    store.putInput("ok.blend", "SOMETHING".getBytes(StandardCharsets.UTF_8));
    stream.dispatch(dispatch("engine", "render", "{\"engine\":\"povray\"}", store.uploadUrl("engine"))
        .setInputUrl(store.inputUrl("ok.blend")).build());
    stream.dispatch(dispatch("frames", "render", "{\"frame_start\":5,\"frame_end\":2}", store.uploadUrl("frames"))
        .setInputUrl(store.inputUrl("ok.blend")).build());
    stream.dispatch(dispatch("size", "render", "{\"resolution_x\":2}", store.uploadUrl("size"))
        .setInputUrl(store.inputUrl("ok.blend")).build());

    assertFailed(awaitResult(stream, "engine"), "INVALID_INPUT");
    assertThat(awaitResult(stream, "engine").getErrorMessage())
        .isEqualTo("render: engine must be one of [CYCLES, BLENDER_EEVEE, BLENDER_WORKBENCH], got \"povray\"");
    assertThat(awaitResult(stream, "frames").getErrorMessage()).isEqualTo("render: frame_end 2 is before frame_start 5");
    assertThat(awaitResult(stream, "size").getErrorMessage())
        .isEqualTo("render: resolution_x must be an integer from 4 to 65536, got 2");
    assertThat(awaitResult(stream, "size").getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(calls).doesNotExist();
  }

  @Test
  void withoutASceneTheJobIsInvalidInputAndAnUnreachableSceneIsInputUnavailable() {
    stream.dispatch(dispatch("none", "render", "{\"frame\":1}", store.uploadUrl("none")).build());
    stream.dispatch(dispatch("gone", "render", null, store.uploadUrl("gone")).setInputUrl(store.inputUrl("gone.blend")).build());

    JobResult none = awaitResult(stream, "none");
    assertFailed(none, "INVALID_INPUT");
    assertThat(none.getErrorMessage())
        .isEqualTo("render needs the .blend scene as its input (an upload, or a payload_ref URL this node can download)");
    JobResult gone = awaitResult(stream, "gone");
    assertFailed(gone, "INPUT_UNAVAILABLE");
    assertThat(gone.getErrorMessage()).isEqualTo("could not download the input " + store.inputUrl("gone.blend") + ": HTTP 404");
  }

  /** Renders a scene whose content tells the stand-in how to fail. */
  private void assertRenderFails(String sceneContent, String errorCode, String errorMessage) {
    String jobId = sceneContent.toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
    store.putInput(jobId + ".blend", sceneContent.getBytes(StandardCharsets.UTF_8));
    stream.dispatch(dispatch(jobId, "render", "{\"frame\":1}", store.uploadUrl(jobId))
        .setInputUrl(store.inputUrl(jobId + ".blend")).build());
    JobResult result = awaitResult(stream, jobId);
    assertFailed(result, errorCode);
    assertThat(result.getErrorMessage()).isEqualTo(errorMessage);
  }

  private void assertFailed(JobResult result, String errorCode) {
    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).as(result.getErrorMessage()).isEqualTo(errorCode);
    assertThat(store.result(result.getJobId())).isEmpty();
  }
}
