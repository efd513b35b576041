package com.rendertrust.agent.plugins.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.jobs.FrameRange;
import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.PluginFailure;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A render payload, checked: the frames it names (used when the dispatch names none), the format,
 * and what the override script sets in the scene. The server validates the same fields; the agent
 * checks them again because a wrong value would otherwise reach Blender's command line.
 */
record RenderSettings(
    Optional<FrameRange> payloadFrames,
    ImageFormat format,
    OptionalInt resolutionX,
    OptionalInt resolutionY,
    int resolutionPercentage,
    OptionalInt samples,
    Optional<RenderEngine> engine) {

  /** Blender's own limits: frames 0..1048574, resolution 4..65536, percentage 1..32767, samples 1..2^24. */
  private static final int MAX_FRAME = 1_048_574;

  static RenderSettings of(JsonNode payload) throws PluginFailure {
    return new RenderSettings(
        frames(payload),
        choice(payload, "format", ImageFormat.class).orElse(ImageFormat.PNG),
        integer(payload, "resolution_x", 4, 65_536),
        integer(payload, "resolution_y", 4, 65_536),
        integer(payload, "resolution_percentage", 1, 32_767).orElse(100),
        integer(payload, "samples", 1, 16_777_216),
        choice(payload, "engine", RenderEngine.class));
  }

  /** What the override script reads: only the settings the payload gave, engine by the installed Blender's name. */
  Map<String, Object> overrides(BlenderVersion version) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    engine.ifPresent(value -> overrides.put("engine", value.blenderName(version)));
    resolutionX.ifPresent(value -> overrides.put("resolution_x", value));
    resolutionY.ifPresent(value -> overrides.put("resolution_y", value));
    overrides.put("resolution_percentage", resolutionPercentage);
    samples.ifPresent(value -> overrides.put("samples", value));
    return overrides;
  }

  /** {@code frame_start}/{@code frame_end}/{@code frame_step}, or the older {@code frame}; empty when none is given. */
  private static Optional<FrameRange> frames(JsonNode payload) throws PluginFailure {
    OptionalInt frame = integer(payload, "frame", 0, MAX_FRAME);
    OptionalInt start = integer(payload, "frame_start", 0, MAX_FRAME);
    OptionalInt end = integer(payload, "frame_end", 0, MAX_FRAME);
    OptionalInt step = integer(payload, "frame_step", 1, MAX_FRAME);
    if (start.isEmpty() && end.isEmpty()) {
      return frame.isPresent() ? Optional.of(FrameRange.single(frame.getAsInt())) : Optional.empty();
    }
    int first = start.orElse(end.orElse(1));
    int last = end.orElse(first);
    if (last < first) {
      throw invalid("frame_end " + last + " is before frame_start " + first);
    }
    return Optional.of(new FrameRange(first, last, step.orElse(1)));
  }

  private static OptionalInt integer(JsonNode payload, String field, int min, int max) throws PluginFailure {
    JsonNode value = payload.get(field);
    if (value == null || value.isNull()) {
      return OptionalInt.empty();
    }
    if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
      throw invalid(field + " must be an integer from " + min + " to " + max + ", got " + value);
    }
    return OptionalInt.of(value.asInt());
  }

  private static <E extends Enum<E>> Optional<E> choice(JsonNode payload, String field, Class<E> type) throws PluginFailure {
    JsonNode value = payload.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    String name = value.asText().toUpperCase(Locale.ROOT);
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(name)) {
        return Optional.of(constant);
      }
    }
    throw invalid(field + " must be one of " + Arrays.toString(type.getEnumConstants()) + ", got " + value);
  }

  private static PluginFailure invalid(String problem) {
    return new PluginFailure(ErrorCode.INVALID_INPUT, "render: " + problem);
  }
}
