package com.rendertrust.gateway;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Envoy's first-match route selection for the RouteMatch features envoy.yaml uses (path, prefix,
 * safe_regex, grpc, header presence/exact/prefix/contains); anything else fails loudly so this model cannot silently
 * drift from the config. Also used for jwt_authn rules, which are RouteMatches too.
 */
final class RouteMatching {

  /** A request as the filter chain sees it: :path without the query, lowercase header names. */
  record Request(String path, Map<String, String> headers) {
    static Request rest(String path) {
      return new Request(path, Map.of("content-type", "application/json"));
    }

    static Request grpc(String path) {
      return new Request(path, Map.of("content-type", "application/grpc"));
    }

    Request with(String header, String value) {
      Map<String, String> copy = new java.util.HashMap<>(headers);
      copy.put(header, value);
      return new Request(path, Map.copyOf(copy));
    }
  }

  private RouteMatching() {
  }

  static Optional<Route> route(VirtualHost host, Request request) {
    return host.getRoutesList().stream().filter(route -> matches(route.getMatch(), request)).findFirst();
  }

  static boolean matches(RouteMatch match, Request request) {
    if (match.hasCaseSensitive() && !match.getCaseSensitive().getValue()) {
      throw new UnsupportedOperationException("case-insensitive matching is not modelled: " + match);
    }
    boolean path = switch (match.getPathSpecifierCase()) {
      case PREFIX -> request.path().startsWith(match.getPrefix());
      case PATH -> request.path().equals(match.getPath());
      // RE2 and java.util.regex agree on the simple patterns envoy.yaml uses (classes, +, ?)
      case SAFE_REGEX -> request.path().matches(match.getSafeRegex().getRegex());
      default -> throw new UnsupportedOperationException("path specifier not modelled: " + match);
    };
    if (!path) {
      return false;
    }
    if (match.hasGrpc() && !request.headers().getOrDefault("content-type", "").startsWith("application/grpc")) {
      return false;
    }
    if (match.getQueryParametersCount() > 0 || match.hasRuntimeFraction() || match.getDynamicMetadataCount() > 0) {
      throw new UnsupportedOperationException("match feature not modelled: " + match);
    }
    return match.getHeadersList().stream().allMatch(header -> matches(header, request.headers()));
  }

  private static boolean matches(HeaderMatcher header, Map<String, String> headers) {
    String value = headers.get(header.getName().toLowerCase(java.util.Locale.ROOT));
    boolean result = switch (header.getHeaderMatchSpecifierCase()) {
      case PRESENT_MATCH -> (value != null) == header.getPresentMatch();
      case STRING_MATCH -> value != null && matches(header.getStringMatch(), value);
      default -> throw new UnsupportedOperationException("header match not modelled: " + header);
    };
    return header.getInvertMatch() != result;
  }

  private static boolean matches(io.envoyproxy.envoy.type.matcher.v3.StringMatcher matcher, String value) {
    java.util.function.UnaryOperator<String> fold = matcher.getIgnoreCase()
        ? text -> text.toLowerCase(java.util.Locale.ROOT) : text -> text;
    String actual = fold.apply(value);
    return switch (matcher.getMatchPatternCase()) {
      case EXACT -> actual.equals(fold.apply(matcher.getExact()));
      case PREFIX -> actual.startsWith(fold.apply(matcher.getPrefix()));
      case CONTAINS -> actual.contains(fold.apply(matcher.getContains()));
      default -> throw new UnsupportedOperationException("string match not modelled: " + matcher);
    };
  }

  static List<VirtualHost> virtualHosts(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager manager) {
    return manager.getRouteConfig().getVirtualHostsList();
  }
}
