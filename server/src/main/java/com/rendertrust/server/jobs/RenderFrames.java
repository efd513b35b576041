package com.rendertrust.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The frames of a render job and how they split into tasks, read from its payload:
 * {@code frame_start}, {@code frame_end} (both 1 when neither is given; the older {@code frame}
 * means start = end = frame), {@code frame_step} (1), {@code frames_per_task} (1),
 * {@code engine} and {@code format}. Task {@code i} renders frames
 * {@code start + i * perTask * step} up to {@code perTask} frames later (or the last frame).
 */
public record RenderFrames(int start, int end, int step, int perTask, OutputFormat format) {

  /** The job type whose jobs have frames and are split into tasks. */
  public static final String RENDER = "render";
  /** Blender's own frame limits. */
  private static final int MAX_ABS_FRAME = 1_048_574;
  private static final Set<String> ENGINES = Set.of("CYCLES", "BLENDER_EEVEE", "BLENDER_WORKBENCH");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A job without frames: one task. */
  static final RenderFrames NONE = new RenderFrames(0, 0, 0, 0, OutputFormat.PNG);

  public boolean hasFrames() {
    return step > 0;
  }

  public int frameCount() {
    return hasFrames() ? (end - start) / step + 1 : 0;
  }

  public int taskCount() {
    return hasFrames() ? (frameCount() + perTask - 1) / perTask : 1;
  }

  /**
   * The frames of a submission of {@code jobType}: NONE for any type but render; for render,
   * validated (422 naming the field, nothing written) and at most {@code maxFrames}.
   */
  static RenderFrames ofSubmission(String jobType, Optional<String> payloadJson, int maxFrames) {
    if (!RENDER.equals(jobType)) {
      return NONE;
    }
    JsonNode payload = payloadJson.map(RenderFrames::parse).orElse(JSON.createObjectNode());
    int start;
    int end;
    if (payload.has("frame_start") || payload.has("frame_end")) {
      start = integer(payload, "frame_start", Optional.of(1));
      end = integer(payload, "frame_end", Optional.of(start));
    } else {
      start = integer(payload, "frame", Optional.of(1));
      end = start;
    }
    int step = integer(payload, "frame_step", Optional.of(1));
    int perTask = integer(payload, "frames_per_task", Optional.of(1));
    if (Math.abs(start) > MAX_ABS_FRAME || Math.abs(end) > MAX_ABS_FRAME) {
      throw invalid("frame_start", "frames must be between -" + MAX_ABS_FRAME + " and " + MAX_ABS_FRAME);
    }
    if (end < start) {
      throw invalid("frame_end", "frame_end must not be before frame_start");
    }
    if (step < 1) {
      throw invalid("frame_step", "frame_step must be at least 1");
    }
    if (perTask < 1) {
      throw invalid("frames_per_task", "frames_per_task must be at least 1");
    }
    long frames = ((long) end - start) / step + 1;
    if (frames > maxFrames) {
      throw invalid("frame_end", "a job may render at most " + maxFrames + " frames; this one has " + frames);
    }
    Optional<String> engine = text(payload, "engine");
    if (engine.isPresent() && !ENGINES.contains(engine.get())) {
      throw invalid("engine", "engine must be one of CYCLES, BLENDER_EEVEE, BLENDER_WORKBENCH");
    }
    Optional<String> formatName = text(payload, "format");
    OutputFormat format = formatName.map(name -> OutputFormat.named(name).orElseThrow(() ->
        invalid("format", "format must be one of PNG, JPEG, OPEN_EXR, TIFF, BMP"))).orElse(OutputFormat.PNG);
    return new RenderFrames(start, end, step, Math.min(perTask, (int) frames), format);
  }

  /** The output format of a stored (already validated) render payload; PNG when it names none. */
  static OutputFormat formatOf(Optional<String> payloadJson) {
    try {
      return payloadJson.map(RenderFrames::parse)
          .flatMap(payload -> Optional.ofNullable(payload.get("format")))
          .filter(JsonNode::isTextual)
          .flatMap(node -> OutputFormat.named(node.asText()))
          .orElse(OutputFormat.PNG);
    } catch (DomainException unreadable) {
      return OutputFormat.PNG;
    }
  }

  private static JsonNode parse(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw invalid("payload", "payload must be a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw invalid("payload", "payload must be a JSON object");
    }
  }

  private static int integer(JsonNode payload, String field, Optional<Integer> fallback) {
    JsonNode value = payload.get(field);
    if (value == null || value.isNull()) {
      return fallback.orElseThrow();
    }
    // A protobuf Struct carries every number as a double: 4.0 is the integer 4.
    if (!value.isNumber() || value.asDouble() != Math.rint(value.asDouble())
        || Math.abs(value.asDouble()) > Integer.MAX_VALUE) {
      throw invalid(field, field + " must be an integer");
    }
    return (int) value.asDouble();
  }

  private static Optional<String> text(JsonNode payload, String field) {
    JsonNode value = payload.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw invalid(field, field + " must be a string");
    }
    return Optional.of(value.asText());
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }
}
