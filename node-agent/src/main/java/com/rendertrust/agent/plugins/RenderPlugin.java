package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code render}: renders one frame of a Blender scene with the Blender command line. The scene
 * is the job's {@code payload_ref} (an http(s) URL the agent downloads); the payload may set
 * {@code frame} (default 1) and {@code format} (PNG, JPEG, OPEN_EXR, TIFF, BMP; default PNG).
 * Blender runs headless with Python auto-execution disabled ({@code -Y}): a scene from the network
 * must not run its embedded scripts on the operator's machine. Only advertised when a Blender
 * executable is configured or on PATH.
 */
public final class RenderPlugin implements JobPlugin {

  private static final Set<String> FORMATS = Set.of("PNG", "JPEG", "OPEN_EXR", "TIFF", "BMP");
  private static final Pattern SAMPLES = Pattern.compile("(?:Sample|Rendered|Path Tracing Sample)\\s+(\\d+)\\s*/\\s*(\\d+)");

  private final Path blender;
  private final ProcessRunner runner;

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
    Path scene = context.inputFile().orElseThrow(() -> new PluginFailure(
        "render needs the .blend scene as payload_ref (an http or https URL this node can download)"));
    JsonNode payload = context.payload();
    int frame = frame(payload);
    String format = format(payload);
    Path frames = Files.createDirectories(context.workDir().resolve("frames"));
    List<String> argv = List.of(blender.toString(), "-b", "-Y", scene.toString(),
        "-o", frames.resolve("frame_#####").toString(), "-F", format, "-x", "1", "-f", Integer.toString(frame));
    ProcessRunner.Exit exit = runner.run(argv, context, line -> {
      Matcher matcher = SAMPLES.matcher(line);
      if (matcher.find()) {
        long done = Long.parseLong(matcher.group(1));
        long total = Long.parseLong(matcher.group(2));
        if (total > 0) {
          context.progress((int) Math.min(99, done * 100 / total), "frame " + frame + ": " + done + "/" + total);
        }
      }
    });
    if (exit.status() != 0) {
      throw new PluginFailure("blender exited with status " + exit.status()
          + (exit.stderrTail().isEmpty() ? "" : "; stderr: " + exit.stderrTail()));
    }
    Path image = firstFile(frames);
    context.progress(100, "frame " + frame + " rendered");
    return new PluginOutput(image);
  }

  private static int frame(JsonNode payload) throws PluginFailure {
    JsonNode value = payload.get("frame");
    if (value == null || value.isNull()) {
      return 1;
    }
    if (!value.isIntegralNumber() || value.asLong() < 0 || value.asLong() > 1_048_574) {
      throw new PluginFailure("render: frame must be an integer from 0 to 1048574, got " + value);
    }
    return value.asInt();
  }

  private static String format(JsonNode payload) throws PluginFailure {
    JsonNode value = payload.get("format");
    if (value == null || value.isNull()) {
      return "PNG";
    }
    String format = value.asText().toUpperCase(Locale.ROOT);
    if (!FORMATS.contains(format)) {
      throw new PluginFailure("render: format must be one of " + FORMATS + ", got " + value);
    }
    return format;
  }

  private static Path firstFile(Path dir) throws IOException, PluginFailure {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).sorted().findFirst()
          .orElseThrow(() -> new PluginFailure("blender exited 0 but wrote no frame"));
    }
  }
}
