package com.rendertrust.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.NoSuchElementException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * envoy.yaml as Envoy reads it: YAML (anchors and aliases resolved, as yaml-cpp does) to JSON to
 * the v3 {@link Bootstrap} proto, with every {@code typed_config} resolved through
 * {@link EnvoyTypes}. Unknown fields, wrong types and unknown {@code @type}s fail here.
 */
final class EnvoyConfig {

  static final String PACKAGED_YAML = "/envoy/envoy.yaml";
  /** Where envoy.yaml expects the gateway jar's envoy/ folder to be installed. */
  static final String INSTALL_DIR = "/etc/envoy/";

  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvoyConfig() {
  }

  static String packagedYaml() {
    return resource(PACKAGED_YAML);
  }

  static Bootstrap packaged() {
    return parse(packagedYaml());
  }

  static Bootstrap parse(String yaml) {
    Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    try {
      Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
      JsonFormat.parser().usingTypeRegistry(EnvoyTypes.registry()).merge(JSON.writeValueAsString(tree), bootstrap);
      return bootstrap.build();
    } catch (JsonProcessingException | InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  static Listener listener(Bootstrap bootstrap, String name) {
    return bootstrap.getStaticResources().getListenersList().stream()
        .filter(listener -> listener.getName().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no listener " + name));
  }

  static HttpConnectionManager connectionManager(Listener listener) {
    Filter filter = listener.getFilterChains(0).getFiltersList().stream()
        .filter(f -> f.getName().equals("envoy.filters.network.http_connection_manager")).findFirst()
        .orElseThrow();
    return unpack(filter.getTypedConfig(), HttpConnectionManager.class);
  }

  static HttpConnectionManager connectionManager(Bootstrap bootstrap) {
    return connectionManager(listener(bootstrap, "http"));
  }

  static List<String> httpFilterNames(HttpConnectionManager manager) {
    return manager.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
  }

  static <T extends Message> T httpFilter(HttpConnectionManager manager, String name, Class<T> type) {
    HttpFilter filter = manager.getHttpFiltersList().stream().filter(f -> f.getName().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no HTTP filter " + name));
    return unpack(filter.getTypedConfig(), type);
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static String resource(String path) {
    try (InputStream in = EnvoyConfig.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new NoSuchElementException(path + " is not in the gateway jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file envoy.yaml names under /etc/envoy/, as packaged in the jar's envoy/ folder (null if absent). */
  static InputStream installedFile(String absolutePath) {
    if (!absolutePath.startsWith(INSTALL_DIR)) {
      throw new IllegalArgumentException(absolutePath + " is outside " + INSTALL_DIR);
    }
    return EnvoyConfig.class.getResourceAsStream("/envoy/" + absolutePath.substring(INSTALL_DIR.length()));
  }
}
