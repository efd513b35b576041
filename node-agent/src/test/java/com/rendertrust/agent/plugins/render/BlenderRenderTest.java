package com.rendertrust.agent.plugins.render;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.PresignedStore;
import com.rendertrust.agent.testing.RealBlender;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.OutputReady;
import com.rendertrust.api.v1.OutputTarget;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Render with the real Blender on scenes Blender generates: a task of four frames in one run, each
 * frame uploaded to its own target as soon as it is saved; a single-frame payload of the older
 * kind; a file Blender cannot open.
 */
class BlenderRenderTest extends RunningAgentTestBase {

  private static final Duration RENDER_WAIT = Duration.ofSeconds(180);

  @TempDir static Path scenes;
  private Path calls;

  @BeforeAll
  static void generateScenes() throws Exception {
    RealBlender.generateScenes(scenes);
  }

  /** The real Blender behind a wrapper that records each command line, to count the runs. */
  @BeforeEach
  void startAgentWithRealBlender() throws Exception {
    calls = home.resolve("blender-calls.log");
    Path wrapper = home.resolve("bin/blender");
    Files.createDirectories(wrapper.getParent());
    Files.writeString(wrapper, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + calls + "'\nexec '" + RealBlender.executable() + "' \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    store.putInput("animation.blend", Files.readAllBytes(scenes.resolve("animation.blend")));
    store.putInput("still.blend", Files.readAllBytes(scenes.resolve("still.blend")));
    fixture.start("--blender", wrapper.toString(), "--capabilities", "render");
  }

  @Test
  void rendersTheFourFramesOfATaskInOneRunAndDeliversEachFrameToItsTarget() throws Exception {
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    var task = dispatch("anim", "render",
        "{\"resolution_x\":64,\"resolution_y\":48,\"samples\":1,\"engine\":\"CYCLES\",\"format\":\"PNG\"}", "")
        .setInputUrl(store.inputUrl("animation.blend"))
        .setTaskId("task-1").setFrameStart(1).setFrameEnd(4).setFrameStep(1);
    for (int frame = 1; frame <= 4; frame++) {
      String name = "frame_%04d.png".formatted(frame);
      task.addOutputs(OutputTarget.newBuilder().setFrame(frame).setName(name).setUploadUrl(store.uploadUrl("anim/" + name))
          .putUploadHeaders("content-type", "image/png"));
    }
    stream.dispatch(task.build());

    JobResult result = awaitRenderResult(stream, "anim");
    assertCompleted(result);
    List<ConnectRequest> frames = stream.frames();
    List<OutputReady> ready = frames.stream().filter(ConnectRequest::hasOutputReady).map(ConnectRequest::getOutputReady).toList();
    assertThat(ready).extracting(OutputReady::getFrame).containsExactly(1, 2, 3, 4);
    for (OutputReady output : ready) {
      PresignedStore.Upload upload = store.upload("anim/" + output.getName()).orElseThrow();
      assertThat(output.getName()).isEqualTo("frame_%04d.png".formatted(output.getFrame()));
      assertThat(output.getAssignmentId()).isEqualTo("asg-anim");
      assertThat(output.getSizeBytes()).isEqualTo(upload.body().length);
      assertThat(output.getSha256()).isEqualTo(sha256(upload.body()));
      assertThat(output.getContentType()).isEqualTo("image/png");
      assertThat(upload.contentType()).isEqualTo("image/png");
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(upload.body()));
      assertThat(image).as("frame %d is a PNG", output.getFrame()).isNotNull();
      assertThat(image.getWidth()).isEqualTo(64);
      assertThat(image.getHeight()).isEqualTo(48);
    }
    assertThat(frames.indexOf(frames.stream().filter(ConnectRequest::hasResult).findFirst().orElseThrow()))
        .as("every OutputReady comes before the result")
        .isGreaterThan(frames.indexOf(frames.stream().filter(ConnectRequest::hasOutputReady).reduce((a, b) -> b).orElseThrow()));

    List<Integer> framesDone = frames.stream().filter(ConnectRequest::hasProgress).map(f -> f.getProgress().getFramesDone()).toList();
    assertThat(framesDone).as("a progress report for every finished frame").contains(1, 2, 3, 4).isSorted();
    assertThat(frames.stream().filter(ConnectRequest::hasProgress).map(f -> f.getProgress().getMessage()))
        .as("Cycles (not the scene's Workbench) rendered with 1 sample (not the scene's 64)")
        .anyMatch(message -> message.matches("frame 1: sample [01]/1"));
    List<String> runs = Files.readAllLines(calls);
    assertThat(runs).hasSize(2);
    assertThat(runs.get(0)).isEqualTo("--version");
    assertThat(runs.get(1)).startsWith("-b -Y ").contains(" -s 1 -e 4 -j 1 -a -- ").contains("frame_#### -F PNG");
  }

  @Test
  void aSingleFramePayloadOfTheOlderKindRendersBmpToTheUploadUrl() throws Exception {
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("still", "render", "{\"frame\":2,\"format\":\"BMP\"}", store.uploadUrl("still"))
        .setInputUrl(store.inputUrl("still.blend")).build());

    JobResult result = awaitRenderResult(stream, "still");
    assertCompleted(result);
    assertThat(result.getResultRef()).isEqualTo(store.uploadUrl("still").split("\\?")[0]);
    byte[] body = store.result("still").orElseThrow();
    assertThat(new String(body, 0, 2, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("BM");
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(body));
    assertThat(image.getWidth()).isEqualTo(64);
    assertThat(image.getHeight()).isEqualTo(48);
    assertThat(stream.frames()).noneMatch(ConnectRequest::hasOutputReady);
    assertThat(Files.readAllLines(calls).get(1)).contains(" -s 2 -e 2 -j 1 -a -- ");
  }

  @Test
  void aFileBlenderCannotOpenIsInvalidInput() throws Exception {
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    store.putInput("noise.blend", noise);
    FakeNodeStream stream = server.awaitStream(0, WAIT);
    stream.dispatch(dispatch("noise", "render", "{\"frame\":1}", store.uploadUrl("noise"))
        .setInputUrl(store.inputUrl("noise.blend")).build());

    JobResult result = awaitRenderResult(stream, "noise");
    assertThat(result.getOutcome()).isEqualTo(JobOutcome.JOB_OUTCOME_FAILED);
    assertThat(result.getErrorCode()).isEqualTo("INVALID_INPUT");
    assertThat(result.getErrorMessage()).startsWith("blender cannot open the scene: Error: ");
    assertThat(store.uploads()).isEmpty();
  }

  private static JobResult awaitRenderResult(FakeNodeStream stream, String jobId) {
    return FakeControlPlane.awaitFrame(stream, f -> f.hasResult() && f.getResult().getJobId().equals(jobId), RENDER_WAIT,
        "result of " + jobId).getResult();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
