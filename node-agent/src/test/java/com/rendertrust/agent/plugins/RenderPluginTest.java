package com.rendertrust.agent.plugins;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Render through a stand-in {@code blender} executable that behaves like Blender's command line. */
class RenderPluginTest extends RunningAgentTestBase {

  private Path blender;

  @BeforeEach
  void fakeBlender() throws Exception {
    blender = home.resolve("bin/blender");
    Files.createDirectories(blender.getParent());
    Files.writeString(blender, """
        #!/bin/sh
        args="$*"
        scene="$3"
        out=""; frame=""; format=""
        while [ $# -gt 0 ]; do
          case "$1" in
            -o) out="$2"; shift ;;
            -f) frame="$2"; shift ;;
            -F) format="$2"; shift ;;
          esac
          shift
        done
        [ -f "$scene" ] || { echo "cannot read $scene" >&2; exit 1; }
        echo "Fra:$frame Mem:12.00M | Time:00:00.10 | Sample 1/4"
        echo "Fra:$frame Mem:12.00M | Time:00:00.20 | Sample 4/4"
        file=$(printf '%s' "$out" | sed "s/#####/$(printf %05d "$frame")/").png
        printf 'frame %s as %s from [%s] args [%s]' "$frame" "$format" "$(cat "$scene")" "$args" > "$file"
        """);
    Files.setPosixFilePermissions(blender, PosixFilePermissions.fromString("rwxr-xr-x"));
    store.putInput("scene.blend", "BLENDER-v402 scene bytes".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void rendersTheRequestedFrameHeadlessWithScriptsDisabledAndUploadsIt() throws Exception {
    fixture.start("--blender", blender.toString(), "--capabilities", "render,echo", "--allow-private-inputs");
    FakeControlPlane.NodeStream stream = server.awaitStream(0, WAIT);
    assertThat(stream.hello.getCapabilitiesList()).containsExactly("render", "echo");

    stream.dispatch(dispatch("rf1", "render", "{\"frame\":7,\"format\":\"png\"}", store.uploadUrl("rf1"))
        .setPayloadRef(store.inputUrl("scene.blend")).build());
    JobResult result = awaitResult(stream, "rf1");

    assertCompleted(result);
    String image = new String(store.result("rf1").orElseThrow(), StandardCharsets.UTF_8);
    assertThat(image).startsWith("frame 7 as PNG from [BLENDER-v402 scene bytes]");
    assertThat(image).contains("args [-b -Y ").contains("input.blend -o ");
    assertThat(stream.frames().stream().filter(ConnectRequest::hasProgress).map(f -> f.getProgress().getPercent()))
        .contains(25);
  }

  @Test
  void renderWithoutASceneFailsWithAClearMessage() throws Exception {
    fixture.start("--blender", blender.toString(), "--capabilities", "render");
    FakeControlPlane.NodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("rf2", "render", "{\"frame\":1}", store.uploadUrl("rf2")).build());
    JobResult result = awaitResult(stream, "rf2");

    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorMessage())
        .isEqualTo("render needs the .blend scene as payload_ref (an http or https URL this node can download)");
  }

  @Test
  void aSceneThatCannotBeDownloadedFailsTheJob() throws Exception {
    fixture.start("--blender", blender.toString(), "--capabilities", "render", "--allow-private-inputs");
    FakeControlPlane.NodeStream stream = server.awaitStream(0, WAIT);

    stream.dispatch(dispatch("rf3", "render", null, store.uploadUrl("rf3")).setPayloadRef(store.inputUrl("gone.blend")).build());

    JobResult result = awaitResult(stream, "rf3");
    assertThat(result.getErrorMessage())
        .isEqualTo("could not download payload_ref " + store.inputUrl("gone.blend") + ": HTTP 404");
    assertThat(result.getErrorCode()).isEqualTo("INPUT_UNAVAILABLE");
  }
}
