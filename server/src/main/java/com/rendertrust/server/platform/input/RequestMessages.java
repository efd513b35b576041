package com.rendertrust.server.platform.input;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.List;
import java.util.Map;

/**
 * Applies {@link InputRules} to a decoded request message, whichever edge it came through
 * (native gRPC, in-process REST, Envoy): every string, map key and JSON key, and the depth of
 * every {@code Struct}/{@code ListValue}. Throws the 422 of the first violation.
 */
public final class RequestMessages {

  private RequestMessages() {
  }

  public static void check(Message message) {
    check("", message);
  }

  private static void check(String path, Message message) {
    if (message instanceof Struct struct) {
      checkStruct(path, struct, 1);
      return;
    }
    if (message instanceof ListValue list) {
      checkList(path, list, 1);
      return;
    }
    if (message instanceof Value value) {
      checkValue(path, value, 0);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      String fieldPath = InputRules.path(path, field.getKey().getName());
      if (field.getKey().isRepeated()) {
        for (Object element : (List<?>) field.getValue()) {
          checkSingle(fieldPath, field.getKey(), element);
        }
      } else {
        checkSingle(fieldPath, field.getKey(), field.getValue());
      }
    }
  }

  private static void checkSingle(String path, FieldDescriptor field, Object value) {
    if (field.isMapField() && value instanceof Message entry) {
      // a map entry: its key names the value in the path
      FieldDescriptor keyField = entry.getDescriptorForType().findFieldByNumber(1);
      FieldDescriptor valueField = entry.getDescriptorForType().findFieldByNumber(2);
      Object key = entry.getField(keyField);
      if (key instanceof String text) {
        checkString(path, text);
      }
      checkSingle(InputRules.path(path, String.valueOf(key)), valueField, entry.getField(valueField));
      return;
    }
    if (value instanceof String text) {
      checkString(path, text);
    } else if (value instanceof Message nested) {
      check(path, nested);
    }
  }

  private static void checkStruct(String path, Struct struct, int depth) {
    if (depth > InputRules.MAX_JSON_DEPTH) {
      throw InputRules.tooDeep(path);
    }
    for (Map.Entry<String, Value> entry : struct.getFieldsMap().entrySet()) {
      InputRules.stringProblem(entry.getKey()).ifPresent(problem -> {
        throw InputRules.invalid(path, "has a key that " + problem);
      });
      checkValue(InputRules.path(path, entry.getKey()), entry.getValue(), depth);
    }
  }

  private static void checkList(String path, ListValue list, int depth) {
    if (depth > InputRules.MAX_JSON_DEPTH) {
      throw InputRules.tooDeep(path);
    }
    for (int i = 0; i < list.getValuesCount(); i++) {
      checkValue(path + "[" + i + "]", list.getValues(i), depth);
    }
  }

  /** {@code depth}: the levels of the objects/arrays that contain this value. */
  private static void checkValue(String path, Value value, int depth) {
    switch (value.getKindCase()) {
      case STRING_VALUE -> checkString(path, value.getStringValue());
      case STRUCT_VALUE -> checkStruct(path, value.getStructValue(), depth + 1);
      case LIST_VALUE -> checkList(path, value.getListValue(), depth + 1);
      default -> {
        // numbers, booleans and null are always storable
      }
    }
  }

  private static void checkString(String path, String text) {
    InputRules.stringProblem(text).ifPresent(problem -> {
      throw InputRules.invalid(path, problem);
    });
  }
}
