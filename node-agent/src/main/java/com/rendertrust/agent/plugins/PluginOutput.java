package com.rendertrust.agent.plugins;

import java.nio.file.Path;
import java.util.Objects;

/** The file a plugin produced: its bytes are uploaded unchanged as the job's result. */
public record PluginOutput(Path file) {
  public PluginOutput {
    Objects.requireNonNull(file, "file");
  }
}
