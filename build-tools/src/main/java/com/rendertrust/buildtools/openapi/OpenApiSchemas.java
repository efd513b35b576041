package com.rendertrust.buildtools.openapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.FieldBehavior;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * JSON Schemas (OpenAPI 3.1) of the contracts' messages as proto3 JSON prints and reads them with
 * the contracts' own (snake_case) field names: int64 as a string (a number is read too), enums
 * by name, well-known types in their JSON forms, fields with presence nullable (the REST edge
 * prints {@code null} for them when unset). Each referenced message becomes one component.
 */
final class OpenApiSchemas {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String OWN_PACKAGE = "rendertrust.v1.";

  private final ProtoComments comments;
  private final Map<String, ObjectNode> components = new TreeMap<>();
  private final Set<String> pending = new HashSet<>();
  private final Deque<Descriptor> queue = new ArrayDeque<>();

  OpenApiSchemas(ProtoComments comments) {
    this.comments = comments;
  }

  /** A schema for the message: a reference to its component, or its JSON form if well-known. */
  ObjectNode message(Descriptor message) {
    ObjectNode wellKnown = wellKnown(message);
    if (wellKnown != null) {
      return wellKnown;
    }
    String name = componentName(message);
    if (pending.add(name)) {
      queue.add(message);
    }
    return JSON.objectNode().put("$ref", "#/components/schemas/" + name);
  }

  /** The schema of one field's value as it appears in a message (repeated and map included). */
  ObjectNode field(FieldDescriptor field) {
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      ObjectNode map = JSON.objectNode().put("type", "object");
      map.set("additionalProperties", singular(entry.findFieldByName("value")));
      return map;
    }
    if (field.isRepeated()) {
      ObjectNode array = JSON.objectNode().put("type", "array");
      array.set("items", singular(field));
      return array;
    }
    ObjectNode value = singular(field);
    return field.hasPresence() ? nullable(value) : value;
  }

  /**
   * The JSON body of a {@code body: "*"} request whose path also binds fields: the message
   * without those fields (they come from the path), inline.
   */
  ObjectNode bodyWithout(Descriptor message, Set<String> pathFields) {
    if (pathFields.isEmpty() || wellKnown(message) != null) {
      return message(message);
    }
    ObjectNode schema = object(message);
    ObjectNode properties = (ObjectNode) schema.get("properties");
    pathFields.forEach(properties::remove);
    if (schema.has("required")) {
      ArrayNode required = JSON.arrayNode();
      schema.get("required").forEach(name -> {
        if (!pathFields.contains(name.asText())) {
          required.add(name);
        }
      });
      schema.set("required", required);
      if (required.isEmpty()) {
        schema.remove("required");
      }
    }
    return schema;
  }

  /** A field that is a whole request or response body ({@code body} / {@code response_body}): never null. */
  ObjectNode bodyField(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()
        ? message(field.getMessageType()) : field(field);
  }

  /** Builds the components of every message referenced so far (and of those they reference). */
  ObjectNode components() {
    while (!queue.isEmpty()) {
      Descriptor message = queue.poll();
      components.put(componentName(message), object(message));
    }
    ObjectNode all = JSON.objectNode();
    components.forEach(all::set);
    return all;
  }

  private ObjectNode object(Descriptor message) {
    ObjectNode schema = JSON.objectNode().put("type", "object");
    String description = comments.of(message);
    if (!description.isEmpty()) {
      schema.put("description", description);
    }
    ObjectNode properties = schema.putObject("properties");
    ArrayNode required = JSON.arrayNode();
    for (FieldDescriptor field : message.getFields()) {
      ObjectNode property = field(field);
      String comment = comments.of(field);
      if (!comment.isEmpty()) {
        property = withDescription(property, comment);
      }
      properties.set(field.getName(), property);
      if (field.getOptions().getExtension(FieldBehaviorProto.fieldBehavior).contains(FieldBehavior.REQUIRED)) {
        required.add(field.getName());
      }
    }
    if (!required.isEmpty()) {
      schema.set("required", required);
    }
    return schema;
  }

  private ObjectNode singular(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case INT -> integer(field.getType() == FieldDescriptor.Type.UINT32
          || field.getType() == FieldDescriptor.Type.FIXED32 ? "int64" : "int32");
      case LONG -> {
        // proto3 JSON prints 64-bit integers as strings and reads either form
        ObjectNode value = JSON.objectNode();
        value.putArray("type").add("string").add("integer");
        yield value.put("format", "int64");
      }
      case FLOAT -> JSON.objectNode().put("type", "number").put("format", "float");
      case DOUBLE -> JSON.objectNode().put("type", "number").put("format", "double");
      case BOOLEAN -> JSON.objectNode().put("type", "boolean");
      case STRING -> JSON.objectNode().put("type", "string");
      case BYTE_STRING -> JSON.objectNode().put("type", "string").put("contentEncoding", "base64");
      case ENUM -> enumeration(field.getEnumType());
      case MESSAGE -> message(field.getMessageType());
    };
  }

  private ObjectNode enumeration(EnumDescriptor type) {
    ObjectNode schema = JSON.objectNode().put("type", "string");
    String description = comments.of(type);
    if (!description.isEmpty()) {
      schema.put("description", description);
    }
    ArrayNode values = schema.putArray("enum");
    for (EnumValueDescriptor value : type.getValues()) {
      values.add(value.getName());
    }
    return schema;
  }

  private static ObjectNode integer(String format) {
    return JSON.objectNode().put("type", "integer").put("format", format);
  }

  /** The proto3 JSON forms of the well-known types; null for any other message. */
  private static ObjectNode wellKnown(Descriptor message) {
    return switch (message.getFullName()) {
      case "google.protobuf.Struct" -> JSON.objectNode().put("type", "object");
      case "google.protobuf.Value" -> JSON.objectNode();
      case "google.protobuf.ListValue" -> JSON.objectNode().put("type", "array");
      case "google.protobuf.Empty" -> JSON.objectNode().put("type", "object");
      case "google.protobuf.Any" -> JSON.objectNode().put("type", "object");
      case "google.protobuf.Timestamp" -> JSON.objectNode().put("type", "string").put("format", "date-time");
      case "google.protobuf.Duration" -> JSON.objectNode().put("type", "string").put("pattern", "^-?[0-9]+(\\.[0-9]+)?s$");
      case "google.protobuf.FieldMask" -> JSON.objectNode().put("type", "string");
      case "google.protobuf.StringValue" -> JSON.objectNode().put("type", "string");
      case "google.protobuf.BoolValue" -> JSON.objectNode().put("type", "boolean");
      case "google.protobuf.Int32Value", "google.protobuf.UInt32Value" -> integer("int32");
      case "google.protobuf.Int64Value", "google.protobuf.UInt64Value" -> JSON.objectNode().put("type", "string");
      case "google.protobuf.DoubleValue", "google.protobuf.FloatValue" -> JSON.objectNode().put("type", "number");
      case "google.protobuf.BytesValue" -> JSON.objectNode().put("type", "string");
      default -> null;
    };
  }

  /** {@code T or null}: a type list for a plain schema, {@code anyOf} for a reference. */
  private static ObjectNode nullable(ObjectNode schema) {
    if (schema.has("type") && schema.get("type").isTextual()) {
      ObjectNode copy = schema.deepCopy();
      copy.putArray("type").add(schema.get("type").asText()).add("null");
      if (copy.has("enum")) {
        ((ArrayNode) copy.get("enum")).addNull();
      }
      return copy;
    }
    if (schema.has("type") && schema.get("type").isArray()) {
      ObjectNode copy = schema.deepCopy();
      ((ArrayNode) copy.get("type")).add("null");
      return copy;
    }
    if (schema.isEmpty()) {
      return schema;
    }
    ObjectNode either = JSON.objectNode();
    either.putArray("anyOf").add(schema).add(JSON.objectNode().put("type", "null"));
    return either;
  }

  /** A description next to a {@code $ref} is allowed in 3.1; the copy keeps the referenced schema's own intact. */
  private static ObjectNode withDescription(ObjectNode schema, String description) {
    ObjectNode copy = schema.deepCopy();
    copy.put("description", description);
    return copy;
  }

  private static String componentName(Descriptor message) {
    String full = message.getFullName();
    return full.startsWith(OWN_PACKAGE) ? full.substring(OWN_PACKAGE.length()) : full;
  }
}
