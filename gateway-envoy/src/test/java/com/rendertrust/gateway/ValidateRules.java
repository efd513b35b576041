package com.rendertrust.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.pgv.validate.Validate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The protoc-gen-validate rules Envoy enforces when it loads a config, for the rule kinds
 * Envoy's API actually uses on our config: required messages and oneofs, string lengths and
 * prefixes, numeric and duration bounds, constants, repeated item counts. JSON parsing alone
 * checks names and types only; these are what Envoy would reject next (e.g. a RuntimeUInt32
 * without its runtime_key). Not covered: regex/well-known-format rules and map rules.
 */
final class ValidateRules {

  private ValidateRules() {
  }

  /** Every violation in {@code message}, Anys included (resolved through {@link EnvoyTypes}), as "path: problem". */
  static List<String> violations(Message message) {
    List<String> found = new ArrayList<>();
    check(message, message.getDescriptorForType().getName(), found);
    return found;
  }

  private static void check(Message message, String path, List<String> found) {
    Descriptor type = message.getDescriptorForType();
    if (type.getFullName().equals(Any.getDescriptor().getFullName())) {
      checkAny(message, path, found);
      return;
    }
    for (OneofDescriptor oneof : type.getRealOneofs()) {
      if (oneof.getOptions().getExtension(Validate.required) && !message.hasOneof(oneof)) {
        found.add(path + ": one of " + oneof.getName() + " is required");
      }
    }
    for (FieldDescriptor field : type.getFields()) {
      String fieldPath = path + "." + field.getName();
      Validate.FieldRules rules = field.getOptions().getExtension(Validate.rules);
      if (field.getRealContainingOneof() != null && !message.hasField(field)) {
        continue; // only the member that is set is validated
      }
      if (field.isMapField()) {
        for (Object entry : (List<?>) message.getField(field)) {
          Message pair = (Message) entry;
          Object value = pair.getField(pair.getDescriptorForType().findFieldByName("value"));
          if (value instanceof Message nested) {
            check(nested, fieldPath + "[" + pair.getField(pair.getDescriptorForType().findFieldByName("key")) + "]", found);
          }
        }
        continue;
      }
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        if (rules.hasRepeated()) {
          Validate.RepeatedRules repeated = rules.getRepeated();
          if (repeated.hasMinItems() && count < repeated.getMinItems()) {
            found.add(fieldPath + ": needs at least " + repeated.getMinItems() + " items, has " + count);
          }
          if (repeated.hasMaxItems() && count > repeated.getMaxItems()) {
            found.add(fieldPath + ": allows at most " + repeated.getMaxItems() + " items, has " + count);
          }
        }
        for (int i = 0; i < count; i++) {
          Object item = message.getRepeatedField(field, i);
          if (rules.hasRepeated() && rules.getRepeated().hasItems()) {
            checkValue(item, rules.getRepeated().getItems(), fieldPath + "[" + i + "]", found);
          }
          if (item instanceof Message nested) {
            check(nested, fieldPath + "[" + i + "]", found);
          }
        }
        continue;
      }
      boolean present = field.hasPresence() ? message.hasField(field) : !isDefault(message.getField(field));
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (rules.hasMessage() && rules.getMessage().getRequired() && !message.hasField(field)) {
          found.add(fieldPath + ": is required");
        }
        if (rules.hasDuration() && rules.getDuration().getRequired() && !message.hasField(field)) {
          found.add(fieldPath + ": is required");
        }
        if (message.hasField(field)) {
          Message nested = (Message) message.getField(field);
          checkValue(unwrap(nested), rules, fieldPath, found);
          check(nested, fieldPath, found);
        }
      } else if (present || rules.hasString() && rules.getString().hasMinLen() && !rules.getString().getIgnoreEmpty()) {
        // proto3 scalars without presence: an unset string is "" and must still meet min_len.
        checkValue(message.getField(field), rules, fieldPath, found);
      }
    }
  }

  private static void checkAny(Message any, String path, List<String> found) {
    String typeUrl = (String) any.getField(any.getDescriptorForType().findFieldByName("type_url"));
    com.google.protobuf.ByteString value =
        (com.google.protobuf.ByteString) any.getField(any.getDescriptorForType().findFieldByName("value"));
    if (typeUrl.isEmpty()) {
      return;
    }
    String typeName = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    Descriptor type = EnvoyTypes.registry().find(typeName);
    if (type == null) {
      found.add(path + ": unknown type " + typeName);
      return;
    }
    try {
      check(DynamicMessage.parseFrom(type, value), path + "<" + type.getName() + ">", found);
    } catch (InvalidProtocolBufferException e) {
      found.add(path + ": cannot decode " + typeName);
    }
  }

  /** Wrapper types (UInt32Value...) carry the scalar rules of the value they wrap. */
  private static Object unwrap(Message message) {
    String name = message.getDescriptorForType().getFullName();
    if (name.startsWith("google.protobuf.") && name.endsWith("Value")) {
      FieldDescriptor value = message.getDescriptorForType().findFieldByName("value");
      if (value != null) {
        return message.getField(value);
      }
    }
    return message;
  }

  private static boolean isDefault(Object value) {
    return value instanceof String s ? s.isEmpty()
        : value instanceof Number n ? n.doubleValue() == 0
        : value instanceof Boolean b ? !b
        : value instanceof com.google.protobuf.ByteString bytes ? bytes.isEmpty()
        : value instanceof com.google.protobuf.Descriptors.EnumValueDescriptor e && e.getNumber() == 0;
  }

  private static void checkValue(Object value, Validate.FieldRules rules, String path, List<String> found) {
    switch (rules.getTypeCase()) {
      case STRING -> {
        if (value instanceof String text) {
          Validate.StringRules string = rules.getString();
          int length = text.codePointCount(0, text.length());
          if (string.hasMinLen() && length < string.getMinLen()) {
            found.add(path + ": must have at least " + string.getMinLen() + " characters");
          }
          if (string.hasMaxLen() && length > string.getMaxLen()) {
            found.add(path + ": must have at most " + string.getMaxLen() + " characters");
          }
          if (string.hasPrefix() && !text.startsWith(string.getPrefix())) {
            found.add(path + ": must start with " + string.getPrefix());
          }
          if (string.hasConst() && !text.equals(string.getConst())) {
            found.add(path + ": must be " + string.getConst());
          }
        }
      }
      case BOOL -> {
        if (value instanceof Boolean bool && rules.getBool().hasConst() && bool != rules.getBool().getConst()) {
          found.add(path + ": must be " + rules.getBool().getConst());
        }
      }
      case DURATION -> {
        if (value instanceof Duration duration) {
          checkBounds(nanos(duration), rules.getDuration(), path, found);
        }
      }
      case UINT32, UINT64, INT32, INT64, DOUBLE, FLOAT, SINT32, SINT64, FIXED32, FIXED64, SFIXED32, SFIXED64 -> {
        if (value instanceof Number number) {
          checkBounds(number.doubleValue(), (Message) rules.getField(rules.getDescriptorForType()
              .findFieldByNumber(rules.getTypeCase().getNumber())), path, found);
        }
      }
      default -> {
      }
    }
  }

  /** const/lt/lte/gt/gte, the same field names in every numeric rule message and DurationRules. */
  private static void checkBounds(double value, Message bounds, String path, List<String> found) {
    for (Map.Entry<FieldDescriptor, Object> rule : bounds.getAllFields().entrySet()) {
      Object raw = rule.getValue();
      if (!(raw instanceof Number) && !(raw instanceof Duration)) {
        continue;
      }
      double limit = raw instanceof Duration duration ? nanos(duration) : ((Number) raw).doubleValue();
      boolean ok = switch (rule.getKey().getName()) {
        case "const" -> value == limit;
        case "lt" -> value < limit;
        case "lte" -> value <= limit;
        case "gt" -> value > limit;
        case "gte" -> value >= limit;
        default -> true;
      };
      if (!ok) {
        found.add(path + ": must be " + rule.getKey().getName() + " " + raw.toString().strip());
      }
    }
  }

  private static double nanos(Duration duration) {
    return duration.getSeconds() * 1e9 + duration.getNanos();
  }
}
