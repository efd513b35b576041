package com.rendertrust.server.platform.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which browser origins may call the API ({@code RT_CORS_ORIGINS}, exact origins such as
 * {@code https://app.example.com}), and whether any {@code http://localhost:<port>} may
 * ({@code --dev}: a front end on its own dev server, e.g. Vite's 5173). Empty: no cross-origin
 * access at all (a preflight gets no {@code Access-Control-Allow-*} headers).
 */
public record CorsConfig(List<String> origins, boolean allowLocalhost) {

  private static final Pattern LOCALHOST = Pattern.compile("http://localhost(:[0-9]{1,5})?");

  public CorsConfig {
    origins = List.copyOf(Objects.requireNonNull(origins, "origins"));
    for (String origin : origins) {
      if (origin.equals("*") || origin.equalsIgnoreCase("null") || !origin.matches("[a-z][a-z0-9+.-]*://[^/?#\\s]+")) {
        throw new IllegalArgumentException("RT_CORS_ORIGINS must list origins (scheme://host[:port]), never '*' or"
            + " 'null', got '" + origin + "'");
      }
    }
  }

  /** No browser access (the default outside --dev). */
  public static CorsConfig none() {
    return new CorsConfig(List.of(), false);
  }

  /** Parses {@code RT_CORS_ORIGINS} (a comma list; blanks ignored). */
  public static CorsConfig parse(String commaList, boolean allowLocalhost) {
    List<String> origins = commaList == null ? List.of() : java.util.Arrays.stream(commaList.split(","))
        .map(String::strip).filter(origin -> !origin.isEmpty()).map(CorsConfig::normalize).toList();
    return new CorsConfig(origins, allowLocalhost);
  }

  public boolean enabled() {
    return !origins.isEmpty() || allowLocalhost;
  }

  /** Whether a request's {@code Origin} may call the API from a browser. */
  public boolean allows(String origin) {
    if (origin == null) {
      return false;
    }
    return origins.contains(normalize(origin)) || allowLocalhost && LOCALHOST.matcher(origin).matches();
  }

  /** Scheme and host are case-insensitive; a trailing slash is not part of an origin. */
  private static String normalize(String origin) {
    String trimmed = origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    return trimmed.toLowerCase(Locale.ROOT);
  }
}
