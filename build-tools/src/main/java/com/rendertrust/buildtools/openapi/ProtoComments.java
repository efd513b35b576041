package com.rendertrust.buildtools.openapi;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo.Location;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The leading comments of the contracts' elements, from the descriptor set's source info (the
 * set is built with {@code --include_source_info}), keyed by the element's path in its file.
 */
final class ProtoComments {

  // field numbers of FileDescriptorProto / DescriptorProto / ServiceDescriptorProto
  private static final int FILE_MESSAGE = 4;
  private static final int FILE_ENUM = 5;
  private static final int FILE_SERVICE = 6;
  private static final int MESSAGE_FIELD = 2;
  private static final int MESSAGE_NESTED = 3;
  private static final int MESSAGE_ENUM = 4;
  private static final int SERVICE_METHOD = 2;

  private final Map<String, Map<List<Integer>, String>> byFile = new HashMap<>();

  void add(FileDescriptorProto file) {
    Map<List<Integer>, String> comments = new HashMap<>();
    for (Location location : file.getSourceCodeInfo().getLocationList()) {
      if (location.hasLeadingComments()) {
        comments.put(List.copyOf(location.getPathList()), clean(location.getLeadingComments()));
      }
    }
    byFile.put(file.getName(), comments);
  }

  String of(ServiceDescriptor service) {
    return lookup(service.getFile(), List.of(FILE_SERVICE, service.getIndex()));
  }

  String of(MethodDescriptor method) {
    return lookup(method.getFile(),
        List.of(FILE_SERVICE, method.getService().getIndex(), SERVICE_METHOD, method.getIndex()));
  }

  String of(Descriptor message) {
    return lookup(message.getFile(), path(message));
  }

  String of(FieldDescriptor field) {
    List<Integer> path = new ArrayList<>(path(field.getContainingType()));
    path.add(MESSAGE_FIELD);
    path.add(field.getIndex());
    return lookup(field.getFile(), path);
  }

  String of(EnumDescriptor type) {
    List<Integer> path = new ArrayList<>();
    if (type.getContainingType() == null) {
      path.add(FILE_ENUM);
    } else {
      path.addAll(path(type.getContainingType()));
      path.add(MESSAGE_ENUM);
    }
    path.add(type.getIndex());
    return lookup(type.getFile(), path);
  }

  private static List<Integer> path(Descriptor message) {
    List<Integer> path = new ArrayList<>();
    if (message.getContainingType() == null) {
      path.add(FILE_MESSAGE);
    } else {
      path.addAll(path(message.getContainingType()));
      path.add(MESSAGE_NESTED);
    }
    path.add(message.getIndex());
    return path;
  }

  private String lookup(FileDescriptor file, List<Integer> path) {
    return byFile.getOrDefault(file.getName(), Map.of()).getOrDefault(path, "");
  }

  /** Comment lines without their single leading blank, joined into one paragraph per blank line. */
  private static String clean(String raw) {
    return raw.lines().map(line -> line.startsWith(" ") ? line.substring(1) : line)
        .map(String::stripTrailing)
        .collect(Collectors.joining("\n")).strip();
  }
}
