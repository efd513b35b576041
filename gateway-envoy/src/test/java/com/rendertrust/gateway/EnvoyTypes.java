package com.rendertrust.gateway;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Every message type of Envoy's API (io.envoyproxy.controlplane:api), so that each
 * {@code typed_config} in envoy.yaml resolves to its real type: a wrong {@code @type} or a field
 * that type does not have fails the parse instead of passing as an opaque Any.
 */
final class EnvoyTypes {

  private static final String[] API_PACKAGES = {"io/envoyproxy/envoy/", "com/github/xds/", "com/github/udpa/"};

  private static TypeRegistry registry;

  private EnvoyTypes() {
  }

  static synchronized TypeRegistry registry() {
    if (registry == null) {
      registry = scan();
    }
    return registry;
  }

  private static TypeRegistry scan() {
    TypeRegistry.Builder builder = TypeRegistry.newBuilder();
    int files = 0;
    try (JarFile jar = new JarFile(apiJar().toFile())) {
      Enumeration<JarEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        if (!name.endsWith("Proto.class") || name.contains("$") || !inApi(name)) {
          continue;
        }
        FileDescriptor file = fileDescriptorOf(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
        if (file != null && !file.getMessageTypes().isEmpty()) {
          // Adding one message adds its whole file and everything the file imports.
          builder.add(file.getMessageTypes().getFirst());
          files++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (files < 300) {
      throw new IllegalStateException("only " + files + " Envoy API files found: is the api jar on the classpath?");
    }
    return builder.build();
  }

  private static boolean inApi(String entry) {
    for (String prefix : API_PACKAGES) {
      if (entry.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** The outer class's {@code getDescriptor()}, or null for the few messages whose own name ends in "Proto". */
  private static FileDescriptor fileDescriptorOf(String className) {
    try {
      Class<?> type = Class.forName(className, false, EnvoyTypes.class.getClassLoader());
      Method getDescriptor = type.getMethod("getDescriptor");
      Object descriptor = getDescriptor.invoke(null);
      return descriptor instanceof FileDescriptor file ? file : null;
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  static Path apiJar() {
    try {
      return Path.of(Bootstrap.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
