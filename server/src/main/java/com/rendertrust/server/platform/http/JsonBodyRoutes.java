package com.rendertrust.server.platform.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which message a REST request's JSON body holds, read from the contracts' {@code google.api.http}
 * rules: the RPC's input for {@code body: "*"}, or the type of the named body field.
 */
final class JsonBodyRoutes {

  private static final Pattern VARIABLE = Pattern.compile("\\{[^}]*}");

  private record Route(String method, Pattern path, Descriptor body) {
  }

  private final List<Route> routes;

  private JsonBodyRoutes(List<Route> routes) {
    this.routes = List.copyOf(routes);
  }

  static JsonBodyRoutes of(List<ServerServiceDefinition> services) {
    List<Route> routes = new ArrayList<>();
    for (ServerServiceDefinition service : services) {
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        if (method.getMethodDescriptor().getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier) {
          MethodDescriptor descriptor = supplier.getMethodDescriptor();
          HttpRule rule = descriptor.getOptions().getExtension(AnnotationsProto.http);
          add(routes, rule, descriptor.getInputType());
          rule.getAdditionalBindingsList().forEach(binding -> add(routes, binding, descriptor.getInputType()));
        }
      }
    }
    return new JsonBodyRoutes(routes);
  }

  private static void add(List<Route> routes, HttpRule rule, Descriptor input) {
    if (rule.getBody().isEmpty()) {
      return;
    }
    Descriptor body = input;
    if (!"*".equals(rule.getBody())) {
      FieldDescriptor field = input.findFieldByName(rule.getBody());
      if (field == null || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated()) {
        return;
      }
      body = field.getMessageType();
    }
    String method = switch (rule.getPatternCase()) {
      case POST -> "POST";
      case PUT -> "PUT";
      case PATCH -> "PATCH";
      case DELETE -> "DELETE";
      default -> null;
    };
    if (method == null) {
      return;
    }
    String template = switch (method) {
      case "POST" -> rule.getPost();
      case "PUT" -> rule.getPut();
      case "PATCH" -> rule.getPatch();
      default -> rule.getDelete();
    };
    routes.add(new Route(method, regex(template), body));
  }

  private static Pattern regex(String template) {
    StringBuilder regex = new StringBuilder();
    Matcher variables = VARIABLE.matcher(template);
    int last = 0;
    while (variables.find()) {
      regex.append(Pattern.quote(template.substring(last, variables.start()))).append("[^/]+");
      last = variables.end();
    }
    regex.append(Pattern.quote(template.substring(last)));
    return Pattern.compile(regex.toString());
  }

  /** The body's message type of a {@code method} request to {@code path}, if it takes a JSON body. */
  Optional<Descriptor> bodyOf(String method, String path) {
    for (Route route : routes) {
      if (route.method().equals(method) && route.path().matcher(path).matches()) {
        return Optional.of(route.body());
      }
    }
    return Optional.empty();
  }
}
