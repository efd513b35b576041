package com.rendertrust.agent.plugins.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.PluginFailure;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Blender's stdout lines (as Blender 3.4 and Cycles print them) read into progress, saved frames and failure codes. */
class BlenderLogTest {

  private final Path frames = Path.of("/work/rt-job-a-b/frames");
  private final List<String> events = new ArrayList<>();
  private final BlenderLog log = newLog();

  private BlenderLog newLog() {
    return new BlenderLog(frames, new BlenderLog.Listener() {
      @Override public void rendering(int frame, double fraction, String note) {
        events.add("rendering " + frame + " " + fraction + " " + note);
      }

      @Override public void saved(int frame, Path file) {
        events.add("saved " + frame + " " + file);
      }
    });
  }

  @Test
  void progressAndSavedFramesComeFromFraAndSavedLines() {
    log.accept("Fra:7 Mem:9.91M (Peak 10.83M) | Time:00:00.22 | Mem:0.76M, Peak:0.76M | Scene, ViewLayer | Sample 4/16");
    log.accept("Fra:7 Mem:9.91M (Peak 10.83M) | Time:00:00.22 | Scene, ViewLayer | Updating Lights");
    log.accept("Saved: '/work/rt-job-a-b/frames/frame_0007.png'");
    log.accept(" Time: 00:00.70 (Saving: 00:00.46)");
    log.accept("Saved: '/tmp/elsewhere/frame_0008.png'");
    log.accept("Saved: '/work/rt-job-a-b/frames/not_a_frame.png'");

    assertThat(events).containsExactly("rendering 7 0.25 sample 4/16", "saved 7 /work/rt-job-a-b/frames/frame_0007.png");
  }

  @Test
  void aSceneBlenderCannotOpenIsInvalidInput() {
    for (String line : List.of("Error: Cannot read file '/w/input.blend': No such file or directory",
        "Error: File format is not supported in file '/w/input.blend'",
        "Error: Failed to read blend file '/w/input.blend': Missing DNA block")) {
      BlenderLog fresh = newLog();
      fresh.accept("Blender 3.4.1");
      fresh.accept(line);
      PluginFailure failure = fresh.failure(1, "");
      assertThat(failure.code()).isEqualTo(ErrorCode.INVALID_INPUT);
      assertThat(failure.getMessage()).isEqualTo("blender cannot open the scene: " + line);
    }
  }

  @Test
  void memoryRunningOutIsOutOfMemoryEvenWhenCyclesSaysItInAFraLine() {
    log.accept("Fra:1 Mem:9.91M (Peak 10.83M) | Time:00:01.02 | Scene, ViewLayer | System is out of GPU memory");
    PluginFailure failure = log.failure(1, "");

    assertThat(failure.code()).isEqualTo(ErrorCode.OUT_OF_MEMORY);
    assertThat(failure.getMessage()).endsWith("| System is out of GPU memory");
  }

  @Test
  void otherwiseItIsAPluginErrorQuotingTheLastErrorAndStderr() {
    log.accept("Error: Python: Traceback (most recent call last):");
    log.accept("Error: script failed, file: '/w/blender_override.py', exiting.");
    PluginFailure failure = log.failure(1, "ALSA lib confmisc.c:855: cannot find card '0'");

    assertThat(failure.code()).isEqualTo(ErrorCode.PLUGIN_ERROR);
    assertThat(failure.getMessage()).isEqualTo("blender exited with status 1: Error: script failed, file: "
        + "'/w/blender_override.py', exiting.; stderr: ALSA lib confmisc.c:855: cannot find card '0'");
  }
}
