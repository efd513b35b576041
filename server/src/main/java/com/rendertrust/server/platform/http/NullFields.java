package com.rendertrust.server.platform.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;

/**
 * Adds {@code "field": null} for every field with presence ({@code optional} scalars and
 * message fields, outside real oneofs) that a JSON object of message type {@code type} lacks,
 * recursively through nested messages and lists of them. Well-known types (Struct, Timestamp...)
 * have their own JSON form and are left alone.
 */
final class NullFields {

  private NullFields() {
  }

  static void fill(ObjectNode json, Descriptor type) {
    for (FieldDescriptor field : type.getFields()) {
      String name = field.getName();
      JsonNode value = json.get(name);
      if (value == null) {
        if (!field.isRepeated() && field.hasPresence() && field.getRealContainingOneof() == null) {
          json.putNull(name);
        }
        continue;
      }
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isMapField()
          || isWellKnown(field.getMessageType())) {
        continue;
      }
      if (field.isRepeated() && value.isArray()) {
        for (JsonNode element : value) {
          if (element instanceof ObjectNode object) {
            fill(object, field.getMessageType());
          }
        }
      } else if (value instanceof ObjectNode object) {
        fill(object, field.getMessageType());
      }
    }
  }

  /**
   * Whether {@link #fill} can ever add a field to a JSON object of {@code type}: false when no
   * field of it (or of the messages it nests) has presence, so its JSON needs no second pass.
   */
  static boolean mayAdd(Descriptor type) {
    return mayAdd(type, new java.util.HashSet<>());
  }

  private static boolean mayAdd(Descriptor type, java.util.Set<Descriptor> seen) {
    if (!seen.add(type)) {
      return false; // a recursive type: its fields are being checked further up
    }
    for (FieldDescriptor field : type.getFields()) {
      if (!field.isRepeated() && field.hasPresence() && field.getRealContainingOneof() == null) {
        return true;
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isMapField()
          && !isWellKnown(field.getMessageType()) && mayAdd(field.getMessageType(), seen)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isWellKnown(Descriptor type) {
    return type.getFile().getPackage().equals("google.protobuf");
  }
}
