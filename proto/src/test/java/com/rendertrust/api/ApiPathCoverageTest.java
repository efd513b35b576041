package com.rendertrust.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every REST path documented in API.md (the contract existing clients rely on) is a
 * {@code google.api.http} rule on exactly one RPC of the built descriptor set, the same file
 * Envoy's transcoder loads.
 */
class ApiPathCoverageTest {

  /** Documented paths that are deliberately not RPCs, with the reason. */
  private static final Map<String, String> NOT_RPCS = Map.of(
      "GET /metrics", "Prometheus text, served by the server's HTTP edge next to the transcoded routes",
      "GET /openapi.json", "the OpenAPI document generated from these contracts, served by the server's HTTP edge",
      "GET /docs", "Swagger UI (HTML) over /openapi.json, served by the server's HTTP edge",
      "PUT `upload_url` (presigned)", "raw bytes to a presigned URL, served by the blob store (the embedded"
          + " store's /blobs route, or S3), authorized by the URL's signature like the result URLs");

  private static final Pattern ROW = Pattern.compile("^\\|\\s*(GET|POST|PUT|PATCH|DELETE)\\s*\\|\\s*([^|]+)\\|");

  @Test
  void everyDocumentedPathHasExactlyOneHttpRule() throws IOException {
    Map<String, List<String>> rules = httpRules();
    Set<String> missing = new TreeSet<>();
    Set<String> ambiguous = new TreeSet<>();
    for (String route : documentedRoutes()) {
      if (NOT_RPCS.containsKey(route)) {
        assertThat(rules).as("%s is documented as not an RPC", route).doesNotContainKey(route);
        continue;
      }
      List<String> methods = rules.getOrDefault(route, List.of());
      if (methods.isEmpty()) {
        missing.add(route);
      } else if (methods.size() > 1) {
        ambiguous.add(route + " -> " + methods);
      }
    }
    assertThat(missing).as("API.md routes without a google.api.http rule").isEmpty();
    assertThat(ambiguous).as("API.md routes bound to more than one RPC").isEmpty();
  }

  @Test
  void theNodeStreamIsGrpcOnly() throws IOException {
    for (ServiceDescriptorProto service : services()) {
      for (MethodDescriptorProto method : service.getMethodList()) {
        if (method.getClientStreaming() || method.getServerStreaming()) {
          assertThat(method.getOptions().hasExtension(AnnotationsProto.http))
              .as("%s.%s is a stream and must have no HTTP rule", service.getName(), method.getName())
              .isFalse();
        }
      }
    }
  }

  /**
   * docs/API.md grows as new endpoints land (API-next.md), and may reword rows; what existing
   * clients rely on is that every method and path of the design's API.md is still documented.
   */
  @Test
  void everyMethodAndPathOfTheDesignIsStillDocumented() throws IOException {
    Path design = repoRoot().resolve("../shared/design/API.md").normalize();
    Set<String> documented = methodsAndPaths(repoRoot().resolve("docs/API.md"));
    if (Files.exists(design)) {
      Set<String> required = methodsAndPaths(design);
      assertThat(required).as("design API.md rows parsed").hasSizeGreaterThan(20);
      assertThat(documented).as("docs/API.md keeps every method and path of the design").containsAll(required);
    } else {
      assertThat(documented).as("docs/API.md rows parsed").hasSizeGreaterThan(20);
    }
  }

  /** "METHOD path" of every table row, gRPC rows included ("gRPC rendertrust.v1.X/Y"). */
  private static Set<String> methodsAndPaths(Path file) throws IOException {
    Pattern row = Pattern.compile("^\\|\\s*(GET|POST|PUT|PATCH|DELETE|gRPC)\\s*\\|\\s*([^|]+)\\|");
    Set<String> found = new TreeSet<>();
    for (String line : Files.readAllLines(file)) {
      Matcher matcher = row.matcher(line);
      if (matcher.find()) {
        for (String path : matcher.group(2).split(",")) {
          found.add(matcher.group(1) + " " + path.strip());
        }
      }
    }
    return found;
  }

  private static Set<String> documentedRoutes() throws IOException {
    Set<String> routes = new TreeSet<>();
    for (String line : Files.readAllLines(repoRoot().resolve("docs/API.md"))) {
      Matcher row = ROW.matcher(line);
      if (row.find()) {
        for (String path : row.group(2).split(",")) {
          routes.add(row.group(1) + " " + path.strip());
        }
      }
    }
    assertThat(routes).as("API.md tables parsed").hasSizeGreaterThan(20);
    return routes;
  }

  private static Map<String, List<String>> httpRules() throws IOException {
    Map<String, List<String>> rules = new HashMap<>();
    for (ServiceDescriptorProto service : services()) {
      for (MethodDescriptorProto method : service.getMethodList()) {
        if (!method.getOptions().hasExtension(AnnotationsProto.http)) {
          continue;
        }
        HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
        List<HttpRule> all = new ArrayList<>(rule.getAdditionalBindingsList());
        all.add(rule);
        for (HttpRule binding : all) {
          rules.computeIfAbsent(route(binding), k -> new ArrayList<>()).add(service.getName() + "." + method.getName());
        }
      }
    }
    return rules;
  }

  private static String route(HttpRule rule) {
    return switch (rule.getPatternCase()) {
      case GET -> "GET " + rule.getGet();
      case POST -> "POST " + rule.getPost();
      case PUT -> "PUT " + rule.getPut();
      case PATCH -> "PATCH " + rule.getPatch();
      case DELETE -> "DELETE " + rule.getDelete();
      case CUSTOM -> rule.getCustom().getKind() + " " + rule.getCustom().getPath();
      case PATTERN_NOT_SET -> "NONE";
    };
  }

  private static List<ServiceDescriptorProto> services() throws IOException {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    try (InputStream in = ApiPathCoverageTest.class.getResourceAsStream("/descriptors/rendertrust-api.pb")) {
      assertThat(in).as("descriptor set built by this module").isNotNull();
      FileDescriptorSet set = FileDescriptorSet.parseFrom(in, registry);
      List<ServiceDescriptorProto> services = new ArrayList<>();
      for (FileDescriptorProto file : set.getFileList()) {
        if (file.getPackage().equals("rendertrust.v1")) {
          services.addAll(file.getServiceList());
        }
      }
      return services;
    }
  }

  static Path repoRoot() {
    return Path.of(System.getProperty("rt.repo.root", "..")).toAbsolutePath().normalize();
  }
}
