package com.rendertrust.server.platform.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/** Prometheus' text format, read back in tests: each series (name and labels as written) to its value. */
public final class PrometheusText {

  private PrometheusText() {
  }

  public static Map<String, Double> parse(String text) {
    Map<String, Double> series = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int split = line.lastIndexOf(' ');
      String value = line.substring(split + 1);
      series.put(line.substring(0, split), switch (value) {
        case "NaN" -> Double.NaN;
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(value);
      });
    }
    return series;
  }

  /** The metric names (without labels) of {@code text}. */
  public static java.util.Set<String> names(String text) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (String series : parse(text).keySet()) {
      int brace = series.indexOf('{');
      names.add(brace < 0 ? series : series.substring(0, brace));
    }
    return names;
  }
}
