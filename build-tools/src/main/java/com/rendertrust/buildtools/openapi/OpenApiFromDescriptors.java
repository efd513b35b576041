package com.rendertrust.buildtools.openapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.AnnotationsProto;
import com.google.api.FieldBehaviorProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the OpenAPI 3.1 document of the REST API from the contracts' descriptor set (the one
 * Envoy loads, with imports and source info): one operation per {@code google.api.http} binding,
 * its summary and description from the RPC's comment, parameters, bodies and schemas from the
 * messages with their snake_case names, the success status the comment names ("REST answers
 * 201"), one error response per status of the comment's {@code Errors:} list, and no security
 * for {@code Caller: public}. The few plain routes the server serves next to the RPCs are added
 * by hand ({@link #PLAIN_ROUTES}); any other route that docs/API.md documents without an RPC (a
 * plain route added later) is added from its row, so every documented method and path is in the document.
 *
 * <p>Usage: {@code OpenApiFromDescriptors <output file> <version> [docs/API.md]}.
 */
public final class OpenApiFromDescriptors {

  static final String DESCRIPTOR_SET = "/descriptors/rendertrust-api.pb";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final Pattern TEMPLATE_VARIABLE = Pattern.compile("\\{([A-Za-z0-9_.]+)(=[^}]*)?}");
  private static final Pattern SUCCESS = Pattern.compile("REST (?:answers )?\\(?(2\\d\\d)\\b");
  private static final Pattern API_ROW = Pattern.compile("^\\|\\s*(GET|POST|PUT|PATCH|DELETE)\\s*\\|\\s*([^|]+)\\|");
  private static final Pattern ERROR = Pattern.compile("\\b([45]\\d\\d) ([A-Z][A-Z0-9_]+(?: / [A-Z][A-Z0-9_]+)*)");

  /** Routes of the HTTP edge that are not RPCs: path, summary, media type of the 200. */
  private static final List<String[]> PLAIN_ROUTES = List.of(
      new String[] {"/metrics", "Prometheus metrics (per-RPC counts and latency histograms)", "text/plain"},
      new String[] {"/openapi.json", "This OpenAPI document", "application/json"},
      new String[] {"/docs", "Swagger UI over this document (served by the server, no CDN)", "text/html"},
      new String[] {"/.well-known/jwks.json", "The public keys (JWK set) that verify access tokens", "application/json"});

  private OpenApiFromDescriptors() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2 && args.length != 3) {
      throw new IllegalArgumentException("usage: OpenApiFromDescriptors <output file> <version> [docs/API.md]");
    }
    Path output = Path.of(args[0]);
    List<String> apiRows = args.length == 3 ? Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8) : List.of();
    String document = generate(args[1], apiRows);
    Files.createDirectories(output.toAbsolutePath().getParent());
    if (!Files.exists(output) || !Files.readString(output, StandardCharsets.UTF_8).equals(document)) {
      Files.writeString(output, document, StandardCharsets.UTF_8);
    }
  }

  /** The document, pretty-printed. */
  public static String generate(String version, List<String> apiRows)
      throws IOException, DescriptorValidationException {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    FieldBehaviorProto.registerAllExtensions(registry);
    FileDescriptorSet set;
    try (InputStream in = OpenApiFromDescriptors.class.getResourceAsStream(DESCRIPTOR_SET)) {
      if (in == null) {
        throw new IllegalStateException(DESCRIPTOR_SET + " is not on the classpath (built by the proto module)");
      }
      set = FileDescriptorSet.parseFrom(in, registry);
    }
    ProtoComments comments = new ProtoComments();
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (FileDescriptorProto file : set.getFileList()) {
      protos.put(file.getName(), file);
      comments.add(file);
    }
    Map<String, FileDescriptor> built = new HashMap<>();
    List<FileDescriptor> own = new ArrayList<>();
    for (FileDescriptorProto file : set.getFileList()) {
      FileDescriptor descriptor = build(file.getName(), protos, built);
      if (file.getPackage().equals("rendertrust.v1")) {
        own.add(descriptor);
      }
    }
    own.sort((a, b) -> a.getName().compareTo(b.getName()));
    ObjectNode document = new OpenApiFromDescriptors.Writer(comments).document(own, version, apiRows);
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document) + "\n";
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built) throws DescriptorValidationException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new IllegalStateException(name + " is imported but not in the descriptor set (built without imports?)");
    }
    List<FileDescriptor> dependencies = new ArrayList<>();
    for (String dependency : proto.getDependencyList()) {
      dependencies.add(build(dependency, protos, built));
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies.toArray(FileDescriptor[]::new));
    built.put(name, file);
    return file;
  }

  private static final class Writer {

    private final ProtoComments comments;
    private final OpenApiSchemas schemas;

    Writer(ProtoComments comments) {
      this.comments = comments;
      this.schemas = new OpenApiSchemas(comments);
    }

    ObjectNode document(List<FileDescriptor> files, String version, List<String> apiRows) {
      ObjectNode document = JSON.objectNode().put("openapi", "3.1.0");
      document.putObject("info")
          .put("title", "RenderTrust API")
          .put("version", version)
          .put("description", "The REST/JSON API of the RenderTrust control plane, transcoded from its gRPC"
              + " contracts (package rendertrust.v1): each path is a google.api.http rule on one RPC. JSON uses the"
              + " contracts' snake_case field names; errors are {\"detail\": \"...\"} with the documented status."
              + " Generated from the descriptor set at build time.");
      ArrayNode tags = document.putArray("tags");
      Map<String, ObjectNode> paths = new TreeMap<>();
      for (FileDescriptor file : files) {
        for (ServiceDescriptor service : file.getServices()) {
          boolean anyRoute = false;
          for (MethodDescriptor method : service.getMethods()) {
            if (!method.getOptions().hasExtension(AnnotationsProto.http)) {
              continue;
            }
            anyRoute = true;
            HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
            List<HttpRule> bindings = new ArrayList<>();
            bindings.add(rule);
            bindings.addAll(rule.getAdditionalBindingsList());
            for (int i = 0; i < bindings.size(); i++) {
              HttpRule binding = bindings.get(i);
              String[] verbAndPath = verbAndPath(binding);
              String path = TEMPLATE_VARIABLE.matcher(verbAndPath[1]).replaceAll("{$1}");
              ObjectNode operation = operation(method, binding, rule, verbAndPath[1], i);
              paths.computeIfAbsent(path, p -> JSON.objectNode()).set(verbAndPath[0], operation);
            }
          }
          if (anyRoute) {
            ObjectNode tag = tags.addObject().put("name", service.getName());
            String description = comments.of(service);
            if (!description.isEmpty()) {
              tag.put("description", description);
            }
          }
        }
      }
      tags.addObject().put("name", "Server").put("description", "Plain routes of the HTTP edge, not RPCs.");
      for (String[] route : PLAIN_ROUTES) {
        ObjectNode operation = paths.computeIfAbsent(route[0], p -> JSON.objectNode()).putObject("get");
        operation.putArray("tags").add("Server");
        operation.put("operationId", "server" + route[0].replaceAll("[^A-Za-z0-9]+", "_"));
        operation.put("summary", route[1]);
        operation.putArray("security");
        operation.putObject("responses").putObject("200").put("description", "OK")
            .putObject("content").putObject(route[2]).putObject("schema")
            .put("type", route[2].equals("application/json") ? "object" : "string");
      }
      documentedPlainRoutes(apiRows, paths);
      ObjectNode pathsNode = document.putObject("paths");
      paths.forEach(pathsNode::set);
      document.putArray("security").add(JSON.objectNode().set("bearerAuth", JSON.arrayNode()))
          .add(JSON.objectNode().set("apiKey", JSON.arrayNode()));
      ObjectNode components = document.putObject("components");
      ObjectNode all = schemas.components();
      all.set("Error", errorSchema());
      all.set("InsufficientCreditsError", insufficientCreditsSchema());
      components.set("schemas", sorted(all));
      ObjectNode security = components.putObject("securitySchemes");
      security.putObject("bearerAuth").put("type", "http").put("scheme", "bearer").put("bearerFormat", "JWT")
          .put("description", "An access token from /api/v1/auth/login or /api/v1/auth/register"
              + " (node RPCs: the node's JWT).");
      security.putObject("apiKey").put("type", "apiKey").put("in", "header").put("name", "X-API-Key")
          .put("description", "An API key from POST /api/v1/auth/api-keys.");
      return document;
    }

    private ObjectNode operation(MethodDescriptor method, HttpRule binding, HttpRule primary, String template,
        int bindingIndex) {
      String comment = comments.of(method);
      ObjectNode operation = JSON.objectNode();
      operation.putArray("tags").add(method.getService().getName());
      operation.put("operationId", method.getService().getName() + "_" + method.getName()
          + (bindingIndex == 0 ? "" : "_" + (bindingIndex + 1)));
      operation.put("summary", firstSentence(comment));
      operation.put("description", comment);
      operation.put("x-grpc-method", method.getService().getFullName() + "/" + method.getName());
      if (comment.contains("Caller: public")) {
        operation.putArray("security");
      }

      Descriptor request = method.getInputType();
      boolean rawBody = request.getFullName().equals("google.api.HttpBody");
      Set<String> pathFields = new LinkedHashSet<>();
      Matcher variables = TEMPLATE_VARIABLE.matcher(template);
      while (variables.find()) {
        pathFields.add(variables.group(1));
      }
      ArrayNode parameters = JSON.arrayNode();
      for (String name : pathFields) {
        FieldDescriptor field = request.findFieldByName(name);
        ObjectNode parameter = parameters.addObject().put("name", name).put("in", "path").put("required", true);
        parameter.set("schema", field == null ? JSON.objectNode().put("type", "string") : schemas.field(field));
        describe(parameter, field);
      }
      String body = binding.getBody();
      if (!rawBody && !body.equals("*")) {
        for (FieldDescriptor field : request.getFields()) {
          boolean message = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
          if (pathFields.contains(field.getName()) || field.getName().equals(body) || message) {
            continue;
          }
          ObjectNode parameter = parameters.addObject().put("name", field.getName()).put("in", "query");
          parameter.set("schema", schemas.field(field));
          describe(parameter, field);
        }
      }
      if (!parameters.isEmpty()) {
        operation.set("parameters", parameters);
      }
      if (rawBody) {
        ObjectNode requestBody = operation.putObject("requestBody").put("required", true)
            .put("description", "The raw body, passed to the RPC byte for byte (google.api.HttpBody).");
        requestBody.putObject("content").putObject("application/json").putObject("schema").put("type", "object");
      } else if (!body.isEmpty()) {
        ObjectNode schema = body.equals("*") ? schemas.bodyWithout(request, pathFields)
            : schemas.bodyField(request.findFieldByName(body));
        operation.putObject("requestBody").put("required", true)
            .putObject("content").putObject("application/json").set("schema", schema);
      }

      ObjectNode responses = operation.putObject("responses");
      Matcher success = SUCCESS.matcher(comment);
      String status = success.find() ? success.group(1) : "200";
      String responseBody = primary.getResponseBody();
      ObjectNode responseSchema = responseBody.isEmpty() ? schemas.message(method.getOutputType())
          : schemas.bodyField(method.getOutputType().findFieldByName(responseBody));
      responses.putObject(status).put("description", "Success")
          .putObject("content").putObject("application/json").set("schema", responseSchema);
      errors(comment).forEach((code, reasons) -> {
        ObjectNode response = responses.putObject(code).put("description", String.join(", ", reasons));
        response.putObject("content").putObject("application/json").putObject("schema")
            .put("$ref", "#/components/schemas/" + (code.equals("402") ? "InsufficientCreditsError" : "Error"));
        if (code.equals("429")) {
          response.putObject("headers").putObject("Retry-After").put("description", "seconds to wait")
              .putObject("schema").put("type", "integer");
        }
      });
      return operation;
    }

    /** Rows of docs/API.md ("| GET | /path | ... |") whose method and path no operation has yet. */
    private static void documentedPlainRoutes(List<String> apiRows, Map<String, ObjectNode> paths) {
      for (String line : apiRows) {
        Matcher row = API_ROW.matcher(line);
        if (!row.find()) {
          continue;
        }
        String method = row.group(1).toLowerCase(java.util.Locale.ROOT);
        for (String documented : row.group(2).split(",")) {
          String path = documented.strip();
          if (!path.startsWith("/") || paths.containsKey(path) && paths.get(path).has(method)) {
            continue;
          }
          ObjectNode operation = paths.computeIfAbsent(path, p -> JSON.objectNode()).putObject(method);
          operation.putArray("tags").add("Server");
          operation.put("operationId", "server_" + method + path.replaceAll("[^A-Za-z0-9]+", "_"));
          operation.put("summary", "Plain route of the server (docs/API.md)");
          operation.put("description", line.strip());
          Matcher variables = TEMPLATE_VARIABLE.matcher(path);
          ArrayNode parameters = JSON.arrayNode();
          while (variables.find()) {
            parameters.addObject().put("name", variables.group(1)).put("in", "path").put("required", true)
                .putObject("schema").put("type", "string");
          }
          if (!parameters.isEmpty()) {
            operation.set("parameters", parameters);
          }
          operation.putObject("responses").putObject("200").put("description", "OK");
        }
      }
    }

    private void describe(ObjectNode parameter, FieldDescriptor field) {
      if (field != null) {
        String comment = comments.of(field);
        if (!comment.isEmpty()) {
          parameter.put("description", comment);
        }
      }
    }
  }

  /** Status -> the reasons listed for it, from the comment's {@code Errors:} part. */
  static Map<String, List<String>> errors(String comment) {
    Map<String, List<String>> errors = new TreeMap<>();
    int start = comment.indexOf("Errors");
    if (start < 0) {
      return errors;
    }
    Matcher matcher = ERROR.matcher(comment.substring(start).replace('\n', ' '));
    while (matcher.find()) {
      List<String> reasons = errors.computeIfAbsent(matcher.group(1), k -> new ArrayList<>());
      for (String reason : matcher.group(2).split(" / ")) {
        if (!reasons.contains(reason)) {
          reasons.add(reason);
        }
      }
    }
    errors.remove("500"); // "500 INTERNAL only on a server fault" is not part of the contract
    return errors;
  }

  private static String firstSentence(String comment) {
    String flat = comment.replace('\n', ' ');
    int end = flat.indexOf(". ");
    String sentence = end < 0 ? flat : flat.substring(0, end + 1);
    return sentence.length() > 120 ? sentence.substring(0, 117) + "..." : sentence;
  }

  private static String[] verbAndPath(HttpRule rule) {
    return switch (rule.getPatternCase()) {
      case GET -> new String[] {"get", rule.getGet()};
      case POST -> new String[] {"post", rule.getPost()};
      case PUT -> new String[] {"put", rule.getPut()};
      case PATCH -> new String[] {"patch", rule.getPatch()};
      case DELETE -> new String[] {"delete", rule.getDelete()};
      case CUSTOM -> new String[] {rule.getCustom().getKind().toLowerCase(java.util.Locale.ROOT), rule.getCustom().getPath()};
      case PATTERN_NOT_SET -> throw new IllegalStateException("google.api.http rule without a pattern: " + rule);
    };
  }

  private static ObjectNode errorSchema() {
    ObjectNode schema = JSON.objectNode().put("type", "object")
        .put("description", "Every error: a client-safe sentence, plus documented extras for some reasons.");
    schema.putObject("properties").putObject("detail").put("type", "string");
    schema.putArray("required").add("detail");
    return schema;
  }

  private static ObjectNode insufficientCreditsSchema() {
    ObjectNode schema = JSON.objectNode().put("type", "object")
        .put("description", "402 INSUFFICIENT_CREDITS: the balance and the amount asked for (decimal strings).");
    ObjectNode properties = schema.putObject("properties");
    properties.putObject("detail").put("type", "string");
    properties.putObject("available").put("type", "string");
    properties.putObject("requested").put("type", "string");
    schema.putArray("required").add("detail").add("available").add("requested");
    return schema;
  }

  private static ObjectNode sorted(ObjectNode node) {
    ObjectNode sorted = JSON.objectNode();
    new TreeMap<>(node.properties().stream()
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))).forEach(sorted::set);
    return sorted;
  }
}
