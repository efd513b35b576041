package com.rendertrust.agent.plugins.render;

import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.PluginFailure;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Blender's stdout while it renders: where it is ({@code Fra:} lines with Cycles' samples),
 * which frame files it finished ({@code Saved: '…'}), and what a failed run said, so the failure
 * gets the right {@link ErrorCode}. Blender prints its errors to stdout, not stderr.
 */
final class BlenderLog {

  /** What the plugin does as Blender goes. */
  interface Listener {
    /** Blender is at {@code fraction} (0..1) of {@code frame}; {@code note} says how far, e.g. "sample 3/16". */
    void rendering(int frame, double fraction, String note);

    /** Blender finished writing the file of {@code frame}. */
    void saved(int frame, Path file);
  }

  private static final Pattern FRA = Pattern.compile("^Fra:(\\d+)\\s");
  /** Cycles ("Sample 3/16"), older Cycles ("Rendered 2/9 Tiles"), EEVEE in 4.x ("Rendering 5 / 64 samples"). */
  private static final Pattern SAMPLES = Pattern.compile("(?:Path Tracing Sample|Sample|Rendered|Rendering)\\s+(\\d+)\\s*/\\s*(\\d+)");
  private static final Pattern SAVED = Pattern.compile("^Saved: '(.+)'");
  private static final Pattern FRAME_FILE = Pattern.compile("^frame_(\\d+)\\.[A-Za-z0-9]+$");
  /** Blender 3.x and 4.x, for a missing file, a file that is not a .blend, and a damaged one. */
  private static final Pattern CANNOT_OPEN = Pattern.compile(
      "^Error: (?:Cannot read file|File format is not supported|Failed to read blend file|Unable to open)");
  /** Blender's allocator, Cycles (CPU and GPU) and the C++ runtime when memory runs out. */
  private static final Pattern OUT_OF_MEMORY = Pattern.compile(
      "(?i)out of (?:gpu |device )?memory|(?:malloc|calloc|mallocn?) returns null|std::bad_alloc|memory allocation failed");
  private static final int SIGKILL_STATUS = 128 + 9;
  private static final int KEPT_LINES = 8;

  private final Path framesDir;
  private final Listener listener;
  private final Deque<String> lastLines = new ArrayDeque<>();
  private int frame = -1;
  private String cannotOpen;
  private String outOfMemory;
  private String lastError;

  BlenderLog(Path framesDir, Listener listener) {
    this.framesDir = framesDir.toAbsolutePath().normalize();
    this.listener = listener;
  }

  /** Called for every stdout line, in order, on the thread that reads Blender's output. */
  synchronized void accept(String line) {
    // Cycles reports its errors in the status of a Fra: line too ("... | System is out of GPU memory").
    if (OUT_OF_MEMORY.matcher(line).find() && outOfMemory == null) {
      outOfMemory = line.strip();
    }
    Matcher fra = FRA.matcher(line);
    if (fra.find()) {
      frame = Integer.parseInt(fra.group(1));
      Matcher samples = SAMPLES.matcher(line);
      if (samples.find()) {
        long done = Long.parseLong(samples.group(1));
        long total = Long.parseLong(samples.group(2));
        if (total > 0) {
          listener.rendering(frame, Math.min(1.0, done / (double) total), "sample " + done + "/" + total);
        }
      }
      return;
    }
    remember(line);
    Matcher saved = SAVED.matcher(line);
    if (saved.find()) {
      Path file = Path.of(saved.group(1));
      frameFile(file).ifPresent(number -> listener.saved(number, file));
      return;
    }
    if (CANNOT_OPEN.matcher(line).find() && cannotOpen == null) {
      cannotOpen = line.strip();
    }
    if (line.startsWith("Error:")) {
      lastError = line.strip();
    }
  }

  /**
   * The frame a file in the frames directory holds ({@code frame_0007.png} is frame 7); empty for
   * any other file, so nothing outside the job's own output is ever uploaded.
   */
  Optional<Integer> frameFile(Path file) {
    Path normalized = file.toAbsolutePath().normalize();
    if (!framesDir.equals(normalized.getParent())) {
      return Optional.empty();
    }
    Matcher matcher = FRAME_FILE.matcher(normalized.getFileName().toString());
    return matcher.matches() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
  }

  /** Why Blender exited with {@code status}: a scene it cannot open, memory, or anything else. */
  synchronized PluginFailure failure(int status, String stderrTail) {
    if (cannotOpen != null) {
      return new PluginFailure(ErrorCode.INVALID_INPUT, "blender cannot open the scene: " + cannotOpen);
    }
    if (outOfMemory != null) {
      return new PluginFailure(ErrorCode.OUT_OF_MEMORY, "blender ran out of memory: " + outOfMemory);
    }
    if (status == SIGKILL_STATUS) {
      return new PluginFailure(ErrorCode.OUT_OF_MEMORY,
          "blender was killed with SIGKILL, most likely by the kernel's out-of-memory killer");
    }
    String said = lastError != null ? lastError : String.join(" | ", lastLines);
    return new PluginFailure(ErrorCode.PLUGIN_ERROR, "blender exited with status " + status
        + (said.isBlank() ? "" : ": " + said) + (stderrTail.isBlank() ? "" : "; stderr: " + stderrTail));
  }

  private void remember(String line) {
    if (line.isBlank()) {
      return;
    }
    if (lastLines.size() == KEPT_LINES) {
      lastLines.removeFirst();
    }
    lastLines.addLast(line.strip());
  }
}
