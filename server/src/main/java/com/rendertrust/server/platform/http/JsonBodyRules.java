package com.rendertrust.server.platform.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.input.InputRules;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The strict reading of a REST request's JSON body, before the transcoder's lenient one. 400 for
 * what is not one well-formed JSON object in UTF-8: invalid UTF-8, a duplicate key (a proxy and
 * this server could otherwise read different amounts), trailing data or a second value. 422,
 * naming the field, for a value of the wrong JSON type (no coercion of {@code 42} or {@code true}
 * into a string, nor of {@code "true"} into a boolean) and for what breaks {@link InputRules}.
 */
final class JsonBodyRules {

  /** Only a guard for the parser itself: {@link InputRules#MAX_JSON_DEPTH} decides, per field, well below. */
  private static final int PARSER_MAX_DEPTH = 256;
  private static final Pattern INTEGER_TEXT = Pattern.compile("-?[0-9]{1,20}");
  private static final Set<String> TEXT_TYPES = Set.of("google.protobuf.Timestamp", "google.protobuf.Duration",
      "google.protobuf.FieldMask");

  private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(PARSER_MAX_DEPTH).build())
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private JsonBodyRules() {
  }

  /** Throws the 400/422 {@link DomainException} of the first problem of {@code body}, read as {@code type}. */
  static void check(byte[] body, Descriptor type) {
    if (body.length == 0) {
      return; // no body: every field keeps its default, as the transcoder reads it
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body));
    } catch (CharacterCodingException e) {
      throw malformed("the request body is not valid UTF-8");
    }
    JsonNode root;
    try {
      root = STRICT.readTree(body);
    } catch (StreamConstraintsException e) {
      throw new DomainException(Reason.VALIDATION_FAILED,
          "the request body nests deeper than " + InputRules.MAX_JSON_DEPTH + " levels of objects and arrays");
    } catch (MismatchedInputException e) {
      throw malformed("the request body must be one JSON object with nothing after it");
    } catch (JsonProcessingException e) {
      String message = e.getOriginalMessage();
      if (message != null && message.startsWith("Duplicate field")) {
        throw malformed("duplicate key in the request body: " + message.substring("Duplicate field ".length()));
      }
      throw malformed("the request body is not well-formed JSON");
    } catch (IOException e) {
      throw malformed("the request body is not well-formed JSON");
    }
    if (root == null || root.isMissingNode()) {
      return;
    }
    if (!root.isObject()) {
      throw malformed("the request body must be a JSON object");
    }
    checkMessage("", root, type);
  }

  private static void checkMessage(String path, JsonNode object, Descriptor type) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      checkKey(path, entry.getKey());
      String fieldPath = InputRules.path(path, entry.getKey());
      FieldDescriptor field = fieldOf(type, entry.getKey());
      if (field == null) {
        checkJson(fieldPath, entry.getValue(), 0); // unknown fields are ignored, but obey the rules too
      } else {
        checkField(fieldPath, field, entry.getValue());
      }
    }
  }

  private static FieldDescriptor fieldOf(Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  private static void checkField(String path, FieldDescriptor field, JsonNode value) {
    if (value.isNull()) {
      return;
    }
    if (field.isMapField()) {
      if (!value.isObject()) {
        throw InputRules.invalid(path, "must be a JSON object");
      }
      FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        checkKey(path, entry.getKey());
        checkSingular(InputRules.path(path, entry.getKey()), valueField, entry.getValue());
      }
    } else if (field.isRepeated()) {
      if (!value.isArray()) {
        throw InputRules.invalid(path, "must be a JSON array");
      }
      for (int i = 0; i < value.size(); i++) {
        checkSingular(path + "[" + i + "]", field, value.get(i));
      }
    } else {
      checkSingular(path, field, value);
    }
  }

  private static void checkSingular(String path, FieldDescriptor field, JsonNode value) {
    if (value.isNull()) {
      return;
    }
    switch (field.getJavaType()) {
      case STRING -> checkText(path, value);
      case BYTE_STRING -> require(value.isTextual(), path, "must be a string");
      case BOOLEAN -> require(value.isBoolean(), path, "must be true or false");
      case INT -> require(value.isIntegralNumber() && value.canConvertToInt(), path, "must be an integer");
      case LONG -> require(value.isIntegralNumber() && value.canConvertToLong()
          || value.isTextual() && INTEGER_TEXT.matcher(value.textValue()).matches(), path, "must be an integer");
      case FLOAT, DOUBLE -> require(value.isNumber(), path, "must be a number");
      case ENUM -> require(value.isTextual() || value.isIntegralNumber(), path, "must be a string");
      case MESSAGE -> checkMessageValue(path, field.getMessageType(), value);
    }
  }

  private static void checkMessageValue(String path, Descriptor type, JsonNode value) {
    String name = type.getFullName();
    switch (name) {
      case "google.protobuf.Struct" -> {
        require(value.isObject(), path, "must be a JSON object");
        checkJson(path, value, 0);
      }
      case "google.protobuf.ListValue" -> {
        require(value.isArray(), path, "must be a JSON array");
        checkJson(path, value, 0);
      }
      case "google.protobuf.Value" -> checkJson(path, value, 0);
      default -> {
        if (TEXT_TYPES.contains(name)) {
          checkText(path, value);
        } else if (name.startsWith("google.protobuf.") && name.endsWith("Value")) {
          checkSingular(path, type.findFieldByName("value"), value); // wrappers: the bare wrapped value
        } else {
          require(value.isObject(), path, "must be a JSON object");
          checkMessage(path, value, type);
        }
      }
    }
  }

  /** Free JSON (payload, metadata): every string and key obeys the string rule; nesting is bounded. */
  private static void checkJson(String path, JsonNode value, int containersAbove) {
    if (value.isTextual()) {
      checkString(path, value.textValue());
      return;
    }
    if (!value.isContainerNode()) {
      return;
    }
    int depth = containersAbove + 1;
    if (depth > InputRules.MAX_JSON_DEPTH) {
      throw InputRules.tooDeep(path);
    }
    if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        checkJson(path + "[" + i + "]", value.get(i), depth);
      }
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      checkKey(path, entry.getKey());
      checkJson(InputRules.path(path, entry.getKey()), entry.getValue(), depth);
    }
  }

  private static void checkText(String path, JsonNode value) {
    require(value.isTextual(), path, "must be a string");
    checkString(path, value.textValue());
  }

  private static void checkString(String path, String text) {
    InputRules.stringProblem(text).ifPresent(problem -> {
      throw InputRules.invalid(path, problem);
    });
  }

  private static void checkKey(String path, String key) {
    InputRules.stringProblem(key).ifPresent(problem -> {
      throw InputRules.invalid(path.isEmpty() ? "request body" : path, "has a key that " + problem);
    });
  }

  private static void require(boolean condition, String path, String problem) {
    if (!condition) {
      throw InputRules.invalid(path, problem);
    }
  }

  private static DomainException malformed(String detail) {
    return new DomainException(Reason.MALFORMED_REQUEST, detail);
  }
}
