package com.rendertrust.agent.plugins.render;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.agent.jobs.FrameRange;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobPlugin;
import com.rendertrust.agent.plugins.PluginFailure;
import com.rendertrust.agent.plugins.PluginOutput;
import com.rendertrust.agent.plugins.ProcessRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code render}: renders the frames of a task from a Blender scene in one headless Blender run.
 *
 * <p>The scene is the job's input file. The frames are the dispatch's (a task of a render job),
 * else the payload's ({@code frame_start}/{@code frame_end}/{@code frame_step} or the older
 * {@code frame}), else frame 1. An override script of ours sets resolution, resolution percentage,
 * samples and engine from the payload; Python auto-execution stays disabled ({@code -Y}): a scene
 * from the network must not run its embedded scripts on the operator's machine.
 *
 * <p>With output targets (one presigned PUT per frame) each frame is handed over for upload as
 * soon as Blender has saved it, and progress reports count finished frames. Without (a
 * single-output dispatch) the one frame's file is the job's result. Only advertised when a Blender
 * executable is configured or on PATH.
 */
public final class RenderPlugin implements JobPlugin {

  private static final String OVERRIDE_SCRIPT = "blender_override.py";
  private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(60);

  private final Path blender;
  private final ProcessRunner runner;
  private final ObjectMapper json = new ObjectMapper();
  private BlenderVersion version;

  public RenderPlugin(Path blender, ProcessRunner runner) {
    this.blender = blender;
    this.runner = runner;
  }

  @Override
  public String jobType() {
    return "render";
  }

  @Override
  public PluginOutput run(JobContext context) throws Exception {
    Path scene = context.inputFile().orElseThrow(() -> new PluginFailure(ErrorCode.INVALID_INPUT,
        "render needs the .blend scene as its input (an upload, or a payload_ref URL this node can download)"));
    RenderSettings settings = RenderSettings.of(context.payload());
    JobSpec job = context.job();
    boolean perOutput = !job.outputs().isEmpty();
    FrameRange range = job.frames().or(settings::payloadFrames).orElse(FrameRange.single(1));
    checkDeliverable(job, range, perOutput);
    BlenderVersion installed = version();

    Path workDir = context.workDir();
    Path framesDir = Files.createDirectories(workDir.resolve("frames"));
    Path script = workDir.resolve(OVERRIDE_SCRIPT);
    try (InputStream source = RenderPlugin.class.getResourceAsStream(OVERRIDE_SCRIPT)) {
      Files.copy(source, script, StandardCopyOption.REPLACE_EXISTING);
    }
    Path overrides = workDir.resolve("override.json");
    json.writeValue(overrides.toFile(), settings.overrides(installed));

    FrameTracker tracker = new FrameTracker(context, range, perOutput ? settings.format().contentType() : null);
    BlenderLog log = new BlenderLog(framesDir, tracker);
    ProcessRunner.Exit exit = runner.run(argv(scene, script, overrides, framesDir, range, settings.format()), context, log::accept);
    if (exit.status() != 0) {
      throw log.failure(exit.status(), exit.stderrTail());
    }
    // A frame whose "Saved:" line was missed (a Blender printing it differently) is still delivered.
    try (Stream<Path> files = Files.list(framesDir)) {
      for (Path file : files.sorted().toList()) {
        log.frameFile(file).ifPresent(frame -> tracker.saved(frame, file));
      }
    }
    Map<Integer, Path> written = tracker.finish();
    if (perOutput) {
      return PluginOutput.deliveredPerOutput();
    }
    return new PluginOutput(written.get(range.start()));
  }

  /**
   * {@code blender -b -Y scene --python override.py -o frames/frame_#### -F FORMAT -x 1 -s S -e E -j J -a -- override.json}:
   * Blender runs its arguments in order, so the script runs on the loaded scene and the frame range
   * is set after it; everything after {@code --} is left to the script. No {@code --factory-startup}:
   * the operator's preferences (e.g. the GPU Cycles renders on) apply.
   */
  private List<String> argv(Path scene, Path script, Path overrides, Path framesDir, FrameRange range, ImageFormat format) {
    return List.of(blender.toString(), "-b", "-Y", scene.toString(),
        "--python-exit-code", "1", "--python", script.toString(),
        "-o", framesDir.resolve("frame_####").toString(), "-F", format.name(), "-x", "1",
        "-s", Integer.toString(range.start()), "-e", Integer.toString(range.end()), "-j", Integer.toString(range.step()),
        "-a", "--", overrides.toString());
  }

  private static void checkDeliverable(JobSpec job, FrameRange range, boolean perOutput) throws PluginFailure {
    if (!perOutput) {
      if (range.count() != 1) {
        throw new PluginFailure(ErrorCode.INVALID_INPUT, "render: " + range.count()
            + " frames need one output target each, but this dispatch has a single upload_url");
      }
      return;
    }
    List<Integer> untargeted = range.frames().stream().filter(frame -> job.outputFor(frame).isEmpty()).toList();
    if (!untargeted.isEmpty()) {
      throw new PluginFailure("the dispatch names no output target for frame(s) " + untargeted);
    }
  }

  /** Runs {@code blender --version} once per agent: the engine names depend on it. */
  private synchronized BlenderVersion version() throws PluginFailure, InterruptedException {
    if (version == null) {
      String output = runner.capture(List.of(blender.toString(), "--version"), VERSION_TIMEOUT);
      version = BlenderVersion.parse(output).orElseThrow(() -> new PluginFailure(
          "cannot tell the Blender version from '" + blender + " --version': " + firstLine(output)));
    }
    return version;
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }

  /** Counts the task's frames as Blender saves them, reports progress, and hands each over for upload. */
  private static final class FrameTracker implements BlenderLog.Listener {
    private final JobContext context;
    private final FrameRange range;
    private final String contentType;
    private final Map<Integer, Path> written = new TreeMap<>();
    private PluginFailure deliveryRefused;

    /** @param contentType the outputs' type when each frame goes to its own target; null for a single result */
    FrameTracker(JobContext context, FrameRange range, String contentType) {
      this.context = context;
      this.range = range;
      this.contentType = contentType;
    }

    @Override
    public synchronized void rendering(int frame, double fraction, String note) {
      int percent = (int) Math.min(99, (written.size() + fraction) * 100 / range.count());
      context.progress(percent, "frame " + frame + ": " + note, written.size());
    }

    @Override
    public synchronized void saved(int frame, Path file) {
      if (!range.contains(frame) || written.containsKey(frame)) {
        return;
      }
      written.put(frame, file);
      if (contentType != null && deliveryRefused == null) {
        try {
          context.outputWritten(frame, file, contentType);
        } catch (PluginFailure e) {
          deliveryRefused = e;
        }
      }
      int percent = (int) Math.min(99, written.size() * 100L / range.count());
      context.progress(percent, "frame " + frame + " saved (" + written.size() + "/" + range.count() + ")", written.size());
    }

    /** The frames written, by number; fails when one is missing. */
    synchronized Map<Integer, Path> finish() throws PluginFailure {
      if (deliveryRefused != null) {
        throw deliveryRefused;
      }
      List<Integer> missing = new ArrayList<>(range.frames());
      missing.removeAll(written.keySet());
      if (!missing.isEmpty()) {
        throw new PluginFailure("blender exited 0 but did not write frame(s) " + missing);
      }
      context.progress(100, range.count() + " frame(s) rendered", written.size());
      return Map.copyOf(written);
    }
  }
}
