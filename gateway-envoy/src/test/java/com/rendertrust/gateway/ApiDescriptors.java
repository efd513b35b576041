package com.rendertrust.gateway;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The descriptor set packaged in the gateway jar, built into one pool the way Envoy's transcoder
 * builds it: only what the file holds is known (a type missing from it is missing for Envoy too).
 */
final class ApiDescriptors {

  static final String PACKAGED = "/envoy/descriptors/rendertrust-api.pb";

  private static ApiDescriptors instance;

  private final Map<String, FileDescriptor> files;

  private ApiDescriptors(Map<String, FileDescriptor> files) {
    this.files = files;
  }

  static synchronized ApiDescriptors packaged() {
    if (instance == null) {
      ExtensionRegistry extensions = ExtensionRegistry.newInstance();
      AnnotationsProto.registerAllExtensions(extensions);
      try (InputStream in = ApiDescriptors.class.getResourceAsStream(PACKAGED)) {
        if (in == null) {
          throw new IllegalStateException(PACKAGED + " is not in the gateway jar");
        }
        FileDescriptorSet set = FileDescriptorSet.parseFrom(in, extensions);
        Map<String, FileDescriptorProto> byName = new LinkedHashMap<>();
        set.getFileList().forEach(file -> byName.put(file.getName(), file));
        Map<String, FileDescriptor> built = new LinkedHashMap<>();
        for (String name : byName.keySet()) {
          build(name, byName, built);
        }
        instance = new ApiDescriptors(built);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (DescriptorValidationException e) {
        throw new IllegalStateException(e);
      }
    }
    return instance;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> byName,
      Map<String, FileDescriptor> built) throws DescriptorValidationException {
    if (built.containsKey(name)) {
      return built.get(name);
    }
    FileDescriptorProto proto = byName.get(name);
    if (proto == null) {
      throw new IllegalStateException(name + " is imported but not in the descriptor set");
    }
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), byName, built);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    built.put(name, file);
    return file;
  }

  Optional<Descriptor> message(String fullName) {
    for (FileDescriptor file : files.values()) {
      String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
      if (fullName.startsWith(prefix)) {
        Descriptor found = file.findMessageTypeByName(fullName.substring(prefix.length()));
        if (found != null) {
          return Optional.of(found);
        }
      }
    }
    return Optional.empty();
  }

  Optional<ServiceDescriptor> service(String fullName) {
    return services().stream().filter(service -> service.getFullName().equals(fullName)).findFirst();
  }

  List<ServiceDescriptor> services() {
    List<ServiceDescriptor> services = new ArrayList<>();
    files.values().forEach(file -> services.addAll(file.getServices()));
    return services;
  }

  /** Every message type of the set, for printing Anys as the transcoder's type resolver does. */
  TypeRegistry typeRegistry() {
    TypeRegistry.Builder registry = TypeRegistry.newBuilder();
    files.values().forEach(file -> file.getMessageTypes().forEach(registry::add));
    return registry.build();
  }

  /** The comment written above {@code method} in its .proto (the descriptor set keeps source info). */
  static String leadingComment(MethodDescriptor method) {
    List<Integer> path = List.of(
        com.google.protobuf.DescriptorProtos.FileDescriptorProto.SERVICE_FIELD_NUMBER, method.getService().getIndex(),
        com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.METHOD_FIELD_NUMBER, method.getIndex());
    return method.getFile().toProto().getSourceCodeInfo().getLocationList().stream()
        .filter(location -> location.getPathList().equals(path))
        .map(com.google.protobuf.DescriptorProtos.SourceCodeInfo.Location::getLeadingComments)
        .findFirst().orElse("");
  }

  static Optional<HttpRule> httpRule(MethodDescriptor method) {
    return method.getOptions().hasExtension(AnnotationsProto.http)
        ? Optional.of(method.getOptions().getExtension(AnnotationsProto.http)) : Optional.empty();
  }

  /** Every binding of a rule (the rule and its additional_bindings) as "METHOD /path/template". */
  static List<String> bindings(HttpRule rule) {
    List<String> bindings = new ArrayList<>();
    List<HttpRule> all = new ArrayList<>();
    all.add(rule);
    all.addAll(rule.getAdditionalBindingsList());
    for (HttpRule binding : all) {
      bindings.add(switch (binding.getPatternCase()) {
        case GET -> "GET " + binding.getGet();
        case POST -> "POST " + binding.getPost();
        case PUT -> "PUT " + binding.getPut();
        case PATCH -> "PATCH " + binding.getPatch();
        case DELETE -> "DELETE " + binding.getDelete();
        case CUSTOM -> binding.getCustom().getKind() + " " + binding.getCustom().getPath();
        case PATTERN_NOT_SET -> throw new IllegalStateException("HTTP rule without a pattern: " + binding);
      });
    }
    return bindings;
  }
}
