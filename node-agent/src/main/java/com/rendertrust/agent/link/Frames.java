package com.rendertrust.agent.link;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Value;
import com.rendertrust.agent.jobs.FrameRange;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.jobs.OutputTarget;
import com.rendertrust.api.v1.JobDispatch;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Contract frames to the agent's own records. */
final class Frames {

  private static final Logger log = LoggerFactory.getLogger(Frames.class);
  private static final double MAX_EXACT_INTEGER = 9_007_199_254_740_992d;

  private Frames() {}

  static JobSpec jobSpec(JobDispatch dispatch) {
    String payload = "{}";
    if (dispatch.hasPayload()) {
      payload = toJson(Value.newBuilder().setStructValue(dispatch.getPayload()).build()).toString();
    }
    return new JobSpec(dispatch.getJobId(), dispatch.getAssignmentId(), dispatch.getJobType(), dispatch.getPayloadRef(),
        payload, dispatch.getUploadUrl(), deadline(dispatch), Duration.ofSeconds(Math.max(0, dispatch.getMaxRuntimeSeconds())),
        dispatch.getTaskId(), frames(dispatch), outputs(dispatch), dispatch.getInputUrl(), dispatch.getInputSha256(),
        dispatch.getTraceparent());
  }

  /** The task's frames; none when the dispatch carries no step (a job without frames, or an older server). */
  private static Optional<FrameRange> frames(JobDispatch dispatch) {
    if (dispatch.getFrameStep() < 1) {
      return Optional.empty();
    }
    try {
      return Optional.of(new FrameRange(dispatch.getFrameStart(), dispatch.getFrameEnd(), dispatch.getFrameStep()));
    } catch (IllegalArgumentException e) {
      log.warn("job {}: ignoring the dispatch's frame range: {}", dispatch.getJobId(), e.getMessage());
      return Optional.empty();
    }
  }

  private static List<OutputTarget> outputs(JobDispatch dispatch) {
    return dispatch.getOutputsList().stream()
        .map(target -> new OutputTarget(target.getFrame(), target.getName(), target.getUploadUrl(), target.getUploadHeadersMap()))
        .toList();
  }

  /**
   * protobuf's Struct keeps every number as a double; a creator who sent {@code {"frame": 3}}
   * must see 3, not 3.0, so integral values within the exact double range become integers.
   */
  static JsonNode toJson(Value value) {
    return switch (value.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> JsonNodeFactory.instance.nullNode();
      case BOOL_VALUE -> JsonNodeFactory.instance.booleanNode(value.getBoolValue());
      case STRING_VALUE -> JsonNodeFactory.instance.textNode(value.getStringValue());
      case NUMBER_VALUE -> {
        double number = value.getNumberValue();
        yield number == Math.rint(number) && Math.abs(number) <= MAX_EXACT_INTEGER
            ? JsonNodeFactory.instance.numberNode((long) number)
            : JsonNodeFactory.instance.numberNode(number);
      }
      case LIST_VALUE -> {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        value.getListValue().getValuesList().forEach(element -> array.add(toJson(element)));
        yield array;
      }
      case STRUCT_VALUE -> {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        value.getStructValue().getFieldsMap().forEach((key, field) -> object.set(key, toJson(field)));
        yield object;
      }
    };
  }

  private static Optional<Instant> deadline(JobDispatch dispatch) {
    String text = dispatch.getDeadline();
    if (text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(text).toInstant());
    } catch (DateTimeParseException e) {
      log.warn("job {}: deadline '{}' is not RFC 3339; running without it", dispatch.getJobId(), text);
      return Optional.empty();
    }
  }
}
