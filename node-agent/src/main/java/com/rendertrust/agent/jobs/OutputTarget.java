package com.rendertrust.agent.jobs;

import java.util.Map;
import java.util.Objects;

/**
 * Where one output of a task goes: a presigned PUT for one frame, with the headers it must send.
 *
 * @param name the output's file name as the server knows it, e.g. {@code frame_0001.png}
 */
public record OutputTarget(int frame, String name, String uploadUrl, Map<String, String> uploadHeaders) {
  public OutputTarget {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uploadUrl, "uploadUrl");
    uploadHeaders = Map.copyOf(uploadHeaders);
  }
}
