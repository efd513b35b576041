package com.rendertrust.agent.plugins;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What a plugin produced: a file whose bytes are uploaded unchanged to the job's {@code upload_url},
 * or nothing more to upload because every output already went to its own target through
 * {@link JobContext#outputWritten}.
 */
public record PluginOutput(Optional<Path> file) {
  public PluginOutput {
    Objects.requireNonNull(file, "file");
  }

  public PluginOutput(Path file) {
    this(Optional.of(Objects.requireNonNull(file, "file")));
  }

  /** Every output was delivered to its own target while the plugin ran. */
  public static PluginOutput deliveredPerOutput() {
    return new PluginOutput(Optional.empty());
  }
}
