package com.rendertrust.server.platform.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A setting that differs per job type, with a fallback for every other type. Written in the
 * environment as {@code render=10,inference=5,*=1} ({@code *} is the fallback).
 */
public record PerJobType<T>(Map<String, T> byType, T fallback) {

  public PerJobType {
    byType = Map.copyOf(byType);
    Objects.requireNonNull(fallback, "fallback");
  }

  public T forType(String jobType) {
    return byType.getOrDefault(jobType, fallback);
  }

  /**
   * Parses {@code type=value,...}; entries override {@code defaults}, {@code *} sets the fallback.
   * {@code variable} names the setting in error messages.
   */
  public static <T> PerJobType<T> parse(String variable, String text, PerJobType<T> defaults,
      Function<String, T> parseValue) {
    Map<String, T> values = new LinkedHashMap<>(defaults.byType());
    T fallback = defaults.fallback();
    for (String entry : text.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int equals = entry.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException(variable + " entries must look like type=value, got '" + entry.strip() + "'");
      }
      String type = entry.substring(0, equals).strip();
      T value;
      try {
        value = parseValue.apply(entry.substring(equals + 1).strip());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(variable + ": bad value for '" + type + "': " + e.getMessage());
      }
      if ("*".equals(type)) {
        fallback = value;
      } else {
        values.put(type, value);
      }
    }
    return new PerJobType<>(values, fallback);
  }
}
