package com.rendertrust.server.platform.input;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies {@link InputRules} to a decoded request message, whichever edge it came through
 * (native gRPC, in-process REST, Envoy): every string, map key and JSON key, and the depth of
 * every {@code Struct}/{@code ListValue}. Throws the 422 of the first violation, in field number
 * order.
 *
 * <p>Every request and every frame of a node's stream passes here, so it visits only the fields
 * that can hold a string (string and message fields, maps included), and it spells a field's
 * path only for an error.
 */
public final class RequestMessages {

  /**
   * Per message type, what can hold a string: its string and message fields, a oneof's as the
   * oneof. Schema facts, the same for every request of a type: computed once per type, as
   * protobuf caches its own descriptors.
   */
  private static final Map<Descriptor, Visit[]> STRING_HOLDERS = new ConcurrentHashMap<>();

  /**
   * A field to look at, or a oneof ({@code field} null): asking a oneof which member is set is one
   * reflective call (protobuf reads generated messages' fields through reflection), asking each
   * member whether it is set is one per member, and a node's stream frame is a oneof of many.
   */
  private record Visit(FieldDescriptor field, OneofDescriptor oneof) {
  }

  private RequestMessages() {
  }

  public static void check(Message message) {
    check(null, message);
  }

  /** Where a value sits in the request: a field or key ({@code name}) or a list element ({@code index}). */
  private record Where(Where parent, String name, int index) {

    static Where named(Where parent, String name) {
      return new Where(parent, name, -1);
    }

    static String path(Where where) {
      if (where == null) {
        return "";
      }
      String parent = path(where.parent);
      return where.index >= 0 ? parent + "[" + where.index + "]" : InputRules.path(parent, where.name);
    }
  }

  private static void check(Where where, Message message) {
    if (message instanceof Struct struct) {
      checkStruct(where, struct, 1);
      return;
    }
    if (message instanceof ListValue list) {
      checkList(where, list, 1);
      return;
    }
    if (message instanceof Value value) {
      checkValue(where, value, 0);
      return;
    }
    for (Visit visit : STRING_HOLDERS.computeIfAbsent(message.getDescriptorForType(), RequestMessages::stringHolders)) {
      FieldDescriptor field = visit.field();
      if (field == null) {
        FieldDescriptor set = message.getOneofFieldDescriptor(visit.oneof());
        if (set != null && holdsStrings(set)) {
          checkSingle(Where.named(where, set.getName()), set, message.getField(set));
        }
      } else if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        Where elements = count == 0 ? null : Where.named(where, field.getName());
        for (int i = 0; i < count; i++) {
          checkSingle(elements, field, message.getRepeatedField(field, i));
        }
      } else if (message.hasField(field)) { // set (a proto3 string without presence: not empty)
        checkSingle(Where.named(where, field.getName()), field, message.getField(field));
      }
    }
  }

  /** In field number order, a oneof at its first member's place. */
  private static Visit[] stringHolders(Descriptor type) {
    List<Visit> visits = new ArrayList<>();
    Set<OneofDescriptor> oneofs = new HashSet<>();
    type.getFields().stream().filter(RequestMessages::holdsStrings)
        .sorted(Comparator.comparingInt(FieldDescriptor::getNumber))
        .forEach(field -> {
          OneofDescriptor oneof = field.getRealContainingOneof();
          if (oneof == null) {
            visits.add(new Visit(field, null));
          } else if (oneofs.add(oneof)) {
            visits.add(new Visit(null, oneof));
          }
        });
    return visits.toArray(Visit[]::new);
  }

  private static boolean holdsStrings(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.STRING
        || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
  }

  private static void checkSingle(Where where, FieldDescriptor field, Object value) {
    if (field.isMapField() && value instanceof Message entry) {
      // a map entry: its key names the value in the path
      FieldDescriptor keyField = entry.getDescriptorForType().findFieldByNumber(1);
      FieldDescriptor valueField = entry.getDescriptorForType().findFieldByNumber(2);
      Object key = entry.getField(keyField);
      if (key instanceof String text) {
        checkString(where, text);
      }
      checkSingle(Where.named(where, String.valueOf(key)), valueField, entry.getField(valueField));
      return;
    }
    if (value instanceof String text) {
      checkString(where, text);
    } else if (value instanceof Message nested) {
      check(where, nested);
    }
  }

  private static void checkStruct(Where where, Struct struct, int depth) {
    if (depth > InputRules.MAX_JSON_DEPTH) {
      throw InputRules.tooDeep(Where.path(where));
    }
    for (Map.Entry<String, Value> entry : struct.getFieldsMap().entrySet()) {
      Optional<String> problem = InputRules.stringProblem(entry.getKey());
      if (problem.isPresent()) {
        throw InputRules.invalid(Where.path(where), "has a key that " + problem.get());
      }
      checkValue(Where.named(where, entry.getKey()), entry.getValue(), depth);
    }
  }

  private static void checkList(Where where, ListValue list, int depth) {
    if (depth > InputRules.MAX_JSON_DEPTH) {
      throw InputRules.tooDeep(Where.path(where));
    }
    for (int i = 0; i < list.getValuesCount(); i++) {
      checkValue(new Where(where, null, i), list.getValues(i), depth);
    }
  }

  /** {@code depth}: the levels of the objects/arrays that contain this value. */
  private static void checkValue(Where where, Value value, int depth) {
    switch (value.getKindCase()) {
      case STRING_VALUE -> checkString(where, value.getStringValue());
      case STRUCT_VALUE -> checkStruct(where, value.getStructValue(), depth + 1);
      case LIST_VALUE -> checkList(where, value.getListValue(), depth + 1);
      default -> {
        // numbers, booleans and null are always storable
      }
    }
  }

  private static void checkString(Where where, String text) {
    Optional<String> problem = InputRules.stringProblem(text);
    if (problem.isPresent()) {
      throw InputRules.invalid(Where.path(where), problem.get());
    }
  }
}
