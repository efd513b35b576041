package com.rendertrust.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.TreeSet;

/** Reading deploy/'s files: YAML into typed Kubernetes objects, and the names the programs know. */
final class Manifests {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "v1/Namespace", Namespace.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/Service", Service.class,
      "apps/v1/Deployment", Deployment.class,
      "apps/v1/DaemonSet", DaemonSet.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
      "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class);

  private Manifests() {
  }

  /** The repository root (tests run in deploy/). */
  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("deploy").resolve("pom.xml")) ? here : here.getParent();
  }

  static Path deploy() {
    return root().resolve("deploy");
  }

  static JsonNode tree(Path file) throws IOException {
    return YAML.readTree(file.toFile());
  }

  /**
   * Every document of a manifest, as the typed object of its apiVersion and kind; a field the
   * Kubernetes model does not know anywhere in it (a typo) fails.
   */
  static List<HasMetadata> objects(Path file) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
        if (document == null || document.isEmpty()) {
          continue;
        }
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<? extends HasMetadata> kind = KINDS.get(type);
        if (kind == null) {
          throw new AssertionError(file + ": unexpected kind " + type);
        }
        HasMetadata object = YAML.treeToValue(document, kind);
        List<String> unknown = new ArrayList<>();
        unknownFields(object, kind.getSimpleName(), unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
          throw new AssertionError(file + ": fields the Kubernetes model does not know: " + unknown);
        }
        objects.add(object);
      }
    }
    return objects;
  }

  /** fabric8's model keeps fields it does not know in additionalProperties: collect them, everywhere. */
  private static void unknownFields(Object value, String path, List<String> unknown, Map<Object, Boolean> seen) {
    if (value == null || seen.put(value, true) != null) {
      return;
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((key, item) -> unknownFields(item, path + "." + key, unknown, seen));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      try {
        Object field = getter.invoke(value);
        if (getter.getName().equals("getAdditionalProperties")) {
          if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
            unknown.add(path + ": " + extra.keySet());
          }
        } else {
          unknownFields(field, path + "." + getter.getName().substring(3), unknown, seen);
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> kind, String name) {
    return objects.stream().filter(kind::isInstance).map(kind::cast)
        .filter(object -> object.getMetadata().getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
  }

  /** Every {@code RT_*} variable the server reads: the names in its config package and its logging config. */
  static Set<String> serverVariables() throws IOException {
    Set<String> names = new TreeSet<>();
    Path config = root().resolve("server/src/main/java/com/rendertrust/server/platform/config");
    try (var files = Files.list(config)) {
      for (Path file : files.toList()) {
        names.addAll(literals(Files.readString(file), Pattern.compile("\"(RT_[A-Z0-9_]+)\"")));
      }
    }
    names.addAll(literals(Files.readString(root().resolve("server/src/main/resources/logback.xml")),
        Pattern.compile("\\$\\{(RT_[A-Z0-9_]+)")));
    names.remove("RT_");
    return names;
  }

  private static Set<String> literals(String text, Pattern pattern) {
    Set<String> found = new TreeSet<>();
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      found.add(matcher.group(1));
    }
    return found;
  }
}
