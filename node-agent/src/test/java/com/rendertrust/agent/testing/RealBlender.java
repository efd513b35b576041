package com.rendertrust.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * The real Blender (Debian's {@code blender} package, which CI installs): found on PATH, or the
 * test fails saying so; never skipped. Generates the test scenes with Blender itself.
 */
public final class RealBlender {

  private RealBlender() {}

  /** The {@code blender} executable on PATH. */
  public static Path executable() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "blender");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError("these tests render with the real Blender, but no 'blender' is on PATH: install Debian's"
        + " blender package (apt-get install -y blender; .ci/run does this when it is missing)");
  }

  /**
   * Writes {@code animation.blend} and {@code still.blend} into {@code dir} (see gen_scenes.py):
   * one Blender run with factory settings.
   */
  public static void generateScenes(Path dir) throws IOException, InterruptedException {
    Path script = dir.resolve("gen_scenes.py");
    try (InputStream source = RealBlender.class.getResourceAsStream("/blender/gen_scenes.py")) {
      Files.copy(source, script, StandardCopyOption.REPLACE_EXISTING);
    }
    Path log = dir.resolve("gen_scenes.log");
    Process process = new ProcessBuilder(executable().toString(), "-b", "--factory-startup", "--python-exit-code", "1",
        "--python", script.toString(), "--", dir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("generating the test scenes took over 120 s");
    }
    if (process.exitValue() != 0 || !Files.exists(dir.resolve("animation.blend")) || !Files.exists(dir.resolve("still.blend"))) {
      throw new AssertionError("blender could not generate the test scenes (exit " + process.exitValue() + "): "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
  }
}
