package com.rendertrust.server.platform.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.linecorp.armeria.server.HttpService;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The route of last resort (the web app): it answers every path that no other route of the edge
 * owns, and never one under a reserved prefix. Reserved are the API's own namespaces whether or
 * not a route serves them right now ({@link #ALWAYS_RESERVED}), every gRPC service's path, the
 * first segment of every {@code google.api.http} rule, every plain and extra route. A request
 * to a reserved path that nothing serves therefore answers exactly as it would without the
 * fallback (404 {@code {"detail"}}, or 405 for a path whose RPC takes another method), never the
 * app's page.
 */
public record FallbackRoute(HttpService service) {

  /** Namespaces of the API and of the server's documents, reserved even while unrouted. */
  public static final List<String> ALWAYS_RESERVED = List.of("/api", "/archives", "/blobs", "/health", "/docs",
      "/openapi.json", "/metrics", "/.well-known");

  /**
   * The reserved paths as Armeria path patterns ({@code /x} exactly and {@code prefix:/x/}) for
   * the edge's routes: the fallback route excludes them all.
   */
  static List<String> exclusions(List<ServerServiceDefinition> services, List<PlainRoute> plainRoutes,
      List<HttpEdge.Route> extraRoutes) {
    Set<String> roots = new LinkedHashSet<>(ALWAYS_RESERVED);
    for (ServerServiceDefinition service : services) {
      roots.add("/" + service.getServiceDescriptor().getName());
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        if (method.getMethodDescriptor().getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier) {
          HttpRule rule = supplier.getMethodDescriptor().getOptions().getExtension(AnnotationsProto.http);
          Stream.concat(Stream.of(rule), rule.getAdditionalBindingsList().stream())
              .map(FallbackRoute::template)
              .filter(template -> !template.isEmpty())
              .forEach(template -> roots.add(firstSegment(template)));
        }
      }
    }
    plainRoutes.forEach(route -> roots.add(firstSegment(route.path().replaceFirst("^(exact|prefix):", ""))));
    extraRoutes.forEach(route -> roots.add(firstSegment(route.pathPrefix())));
    List<String> patterns = new ArrayList<>();
    for (String root : roots) {
      if (root.length() < 2 || root.contains("{")) {
        continue; // never the whole site; a variable first segment has no fixed root to reserve
      }
      patterns.add("exact:" + root);
      patterns.add("prefix:" + root + "/");
    }
    return patterns;
  }

  /** Whether {@code path} lies under one of {@code exclusions} (what the edge's router decides, for tests). */
  static boolean isReserved(String path, List<String> exclusions) {
    for (String pattern : exclusions) {
      if (pattern.startsWith("exact:") ? path.equals(pattern.substring(6))
          : path.startsWith(pattern.substring("prefix:".length()))) {
        return true;
      }
    }
    return false;
  }

  /** "/api/v1/jobs/{job_id}" → "/api"; "/health" → "/health". */
  static String firstSegment(String path) {
    int end = path.indexOf('/', 1);
    return end < 0 ? path : path.substring(0, end);
  }

  private static String template(HttpRule rule) {
    return switch (rule.getPatternCase()) {
      case GET -> rule.getGet();
      case POST -> rule.getPost();
      case PUT -> rule.getPut();
      case PATCH -> rule.getPatch();
      case DELETE -> rule.getDelete();
      case CUSTOM -> rule.getCustom().getPath();
      default -> "";
    };
  }
}
