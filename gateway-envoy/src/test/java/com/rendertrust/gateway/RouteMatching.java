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
 * grpc, header presence/exact/prefix); anything else fails loudly so this model cannot silently
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
      case STRING_MATCH -> value != null && switch (header.getStringMatch().getMatchPatternCase()) {
        case EXACT -> value.equals(header.getStringMatch().getExact());
        case PREFIX -> value.startsWith(header.getStringMatch().getPrefix());
        default -> throw new UnsupportedOperationException("string match not modelled: " + header);
      };
      default -> throw new UnsupportedOperationException("header match not modelled: " + header);
    };
    return header.getInvertMatch() != result;
  }

  static List<VirtualHost> virtualHosts(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager manager) {
    return manager.getRouteConfig().getVirtualHostsList();
  }
}
